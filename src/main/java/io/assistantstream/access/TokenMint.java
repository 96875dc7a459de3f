package io.assistantstream.access;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.UUID;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Mints HS256 channel tokens with the service's own secret ({@code POST /admin/tokens}), with the
 * audience and issuer it checks, so a backend that trusts the service, or the demo page, can get
 * one without a JWT library of its own.
 */
public final class TokenMint {
    /** The longest a minted token may live. */
    public static final Duration MAX_TTL = Duration.ofDays(1);

    private final MACSigner signer;
    private final String audience;
    private final String issuer;
    private final Clock clock;

    TokenMint(byte[] secret, String audience, String issuer, Clock clock) {
        try {
            this.signer = new MACSigner(secret);
        } catch (JOSEException e) {
            throw new IllegalArgumentException("not a usable HS256 secret: " + e.getMessage());
        }
        this.audience = audience;
        this.issuer = issuer;
        this.clock = clock;
    }

    /** A minted token and when it expires. */
    public record Minted(String token, Instant expires) {
    }

    /**
     * A token granting {@code channels} (exact names, or prefixes ending in {@code *}) for {@code ttl}.
     *
     * @param subject who it is for ({@code sub}); empty for none
     * @throws IllegalArgumentException when a channel entry or the ttl is out of bounds
     */
    public Minted mint(List<String> channels, Duration ttl, String subject) {
        if (ttl.isNegative() || ttl.isZero() || ttl.compareTo(MAX_TTL) > 0) {
            throw new IllegalArgumentException("ttl_seconds must be from 1 to " + MAX_TTL.toSeconds());
        }
        if (channels.isEmpty()) {
            throw new IllegalArgumentException("channels must name at least one channel or prefix*");
        }
        for (String channel : channels) {
            int star = channel.indexOf('*');
            if (channel.isEmpty() || star >= 0 && star != channel.length() - 1) {
                throw new IllegalArgumentException("each entry of channels is a channel name, or a prefix ending"
                        + " in a single '*'");
            }
        }
        Instant now = clock.instant();
        Instant expires = now.plus(ttl);
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder()
                .issueTime(Date.from(now))
                .expirationTime(Date.from(expires))
                .jwtID(UUID.randomUUID().toString())
                .claim("channels", List.copyOf(channels));
        if (!subject.isEmpty()) {
            claims.subject(subject);
        }
        if (!audience.isEmpty()) {
            claims.audience(audience);
        }
        if (!issuer.isEmpty()) {
            claims.issuer(issuer);
        }
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).type(JOSEObjectType.JWT).build(),
                claims.build());
        try {
            jwt.sign(signer);
        } catch (JOSEException e) {
            throw new IllegalStateException("could not sign a token", e);
        }
        return new Minted(jwt.serialize(), expires);
    }
}
