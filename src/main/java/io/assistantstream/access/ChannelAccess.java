package io.assistantstream.access;

import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.security.KeyFactory;
import java.security.NoSuchAlgorithmException;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.InvalidKeySpecException;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Date;
import java.util.List;
import java.util.Optional;
import java.util.Set;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.source.ImmutableSecret;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.proc.SingleKeyJWSKeySelector;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.proc.BadJWTException;
import com.nimbusds.jwt.proc.DefaultJWTClaimsVerifier;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import com.nimbusds.jwt.proc.ExpiredJWTException;

/**
 * Who may read a channel ({@code WEBSOCKET_AUTH}): anyone who reaches {@code /ws} ({@link #open()},
 * the predecessor's behaviour), or whoever presents a JWT whose {@code channels} claim grants it
 * ({@link #jwt}). A token must carry {@code exp}; {@code aud} and {@code iss} are checked when
 * configured. Keys: an HS256 secret, a PEM public key (RS256 or ES256), or a JWKS URL, fetched on
 * first use, cached, and fetched again (at most every {@code jwksMinInterval}) when a token names a
 * key id it does not hold, so a rotated key is picked up without a restart.
 *
 * <p>Expiry is honoured {@link #CLOCK_SKEW} late, for the clocks of the backend that minted the
 * token and of this service, which may differ by a little.
 */
public final class ChannelAccess {
    /** How late after its {@code exp} a token still counts. */
    public static final Duration CLOCK_SKEW = Duration.ofSeconds(5);
    /** The shortest HS256 secret JWT allows: 256 bits. */
    static final int MIN_SECRET_BYTES = 32;
    private static final String CHANNELS = "channels";
    private static final String PEM_BEGIN = "-----BEGIN PUBLIC KEY-----";
    private static final String PEM_END = "-----END PUBLIC KEY-----";

    private final DefaultJWTProcessor<SecurityContext> processor;
    private final boolean required;
    private final TokenMint mint;
    private final Clock clock;
    private final Duration skew;
    private final String keys;

    private ChannelAccess(DefaultJWTProcessor<SecurityContext> processor, boolean required, TokenMint mint, Clock clock,
                          Duration skew, String keys) {
        this.processor = processor;
        this.required = required;
        this.mint = mint;
        this.clock = clock;
        this.skew = skew;
        this.keys = keys;
    }

    /** Every channel readable by anyone who reaches {@code /ws}. */
    public static ChannelAccess open() {
        return new ChannelAccess(null, false, null, Clock.systemUTC(), CLOCK_SKEW, "none");
    }

    /** Where the keys that sign channel tokens come from: exactly one of the three. */
    public record Keys(String secret, String publicKeyPem, URI jwksUrl) {
        /** An HS256 shared secret. */
        public static Keys secret(String secret) {
            return new Keys(secret, null, null);
        }

        /** A PEM public key, RSA (RS256) or EC P-256 (ES256). */
        public static Keys publicKey(String pem) {
            return new Keys(null, pem, null);
        }

        /** A JWKS endpoint (RS256 and ES256 keys, chosen by the token's {@code kid}). */
        public static Keys jwks(URI url) {
            return new Keys(null, null, url);
        }
    }

    /**
     * Tokens checked against {@code keys}, and {@code audience} / {@code issuer} when not empty;
     * {@code required}: without one no channel is readable ({@code WEBSOCKET_AUTH=jwt}), else tokens
     * can be minted and checked but are not asked for (a rollout: clients learn to send them first).
     *
     * @param jwksMinInterval the shortest time between two fetches of the JWKS
     * @throws IllegalArgumentException when the key material cannot be used (a short secret, a PEM
     *                                  that is no RSA or EC public key, a URL that is no URL)
     */
    public static ChannelAccess jwt(Keys keys, boolean required, String audience, String issuer,
                                    Duration jwksMinInterval, Clock clock, Duration skew) {
        DefaultJWTProcessor<SecurityContext> processor = new DefaultJWTProcessor<>();
        TokenMint mint = null;
        String described;
        if (keys.secret() != null) {
            byte[] secret = keys.secret().getBytes(StandardCharsets.UTF_8);
            if (secret.length < MIN_SECRET_BYTES) {
                throw new IllegalArgumentException("an HS256 secret needs at least " + MIN_SECRET_BYTES
                        + " bytes (256 bits), got " + secret.length);
            }
            processor.setJWSKeySelector(new JWSVerificationKeySelector<>(JWSAlgorithm.HS256,
                    new ImmutableSecret<>(secret)));
            mint = new TokenMint(secret, audience, issuer, clock);
            described = "HS256 secret";
        } else if (keys.publicKeyPem() != null) {
            JWK key = publicKey(keys.publicKeyPem());
            JWSAlgorithm algorithm = key instanceof RSAKey ? JWSAlgorithm.RS256 : JWSAlgorithm.ES256;
            try { // one key: whatever key id a token names, this is the key that must have signed it
                processor.setJWSKeySelector(new SingleKeyJWSKeySelector<>(algorithm,
                        key instanceof RSAKey rsa ? rsa.toPublicKey() : ((ECKey) key).toPublicKey()));
            } catch (JOSEException e) {
                throw new IllegalArgumentException("not a usable public key: " + e.getMessage());
            }
            described = algorithm + " public key";
        } else if (keys.jwksUrl() != null) {
            processor.setJWSKeySelector(new JWSVerificationKeySelector<>(Set.of(JWSAlgorithm.RS256, JWSAlgorithm.ES256),
                    jwks(keys.jwksUrl(), jwksMinInterval)));
            described = "JWKS " + keys.jwksUrl().getHost();
        } else {
            throw new IllegalArgumentException("no key to check tokens with");
        }
        JWTClaimsSet.Builder exact = new JWTClaimsSet.Builder();
        if (!issuer.isEmpty()) {
            exact.issuer(issuer);
        }
        DefaultJWTClaimsVerifier<SecurityContext> claims = new DefaultJWTClaimsVerifier<>(
                audience.isEmpty() ? null : audience, exact.build(), Set.of("exp", CHANNELS)) {
            @Override
            protected Date currentTime() {
                return Date.from(clock.instant());
            }
        };
        claims.setMaxClockSkew((int) skew.toSeconds());
        processor.setJWTClaimsSetVerifier(claims);
        return new ChannelAccess(processor, required, mint, clock, skew, described);
    }

    /**
     * A {@code -----BEGIN PUBLIC KEY-----} block (X.509 SubjectPublicKeyInfo, what {@code openssl pkey
     * -pubout} writes), decoded by the JDK; nimbus's own PEM reader would need BouncyCastle. A value
     * given on one line with {@code \n} escapes (as environment variables often are) is read too.
     */
    private static JWK publicKey(String pem) {
        String text = pem.replace("\\n", "\n");
        int begin = text.indexOf(PEM_BEGIN);
        int end = text.indexOf(PEM_END);
        if (begin < 0 || end < begin) {
            throw new IllegalArgumentException("expected a PEM block from " + PEM_BEGIN + " to " + PEM_END);
        }
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(text.substring(begin + PEM_BEGIN.length(), end));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("the PEM block is not base64");
        }
        X509EncodedKeySpec spec = new X509EncodedKeySpec(der);
        try {
            return new RSAKey.Builder((RSAPublicKey) KeyFactory.getInstance("RSA").generatePublic(spec)).build();
        } catch (InvalidKeySpecException | NoSuchAlgorithmException notRsa) {
            try {
                ECPublicKey ec = (ECPublicKey) KeyFactory.getInstance("EC").generatePublic(spec);
                Curve curve = Curve.forECParameterSpec(ec.getParams());
                if (!Curve.P_256.equals(curve)) {
                    throw new IllegalArgumentException("an EC key must be on P-256 (ES256), got " + curve);
                }
                return new ECKey.Builder(curve, ec).build();
            } catch (InvalidKeySpecException | NoSuchAlgorithmException notEc) {
                throw new IllegalArgumentException("the PEM block is neither an RSA nor an EC public key");
            }
        }
    }

    private static JWKSource<SecurityContext> jwks(URI url, Duration minInterval) {
        try {
            return JWKSourceBuilder.<SecurityContext>create(url.toURL(),
                            new DefaultResourceRetriever(5_000, 5_000, 512 * 1024))
                    .cache(Duration.ofMinutes(5).toMillis(), Duration.ofSeconds(15).toMillis())
                    .rateLimited(minInterval.toMillis())
                    .refreshAheadCache(false)
                    .retrying(false)
                    .build();
        } catch (MalformedURLException | IllegalArgumentException e) {
            throw new IllegalArgumentException("not a usable JWKS URL: " + e.getMessage());
        }
    }

    /** Whether a connection needs a token to read a channel. */
    public boolean required() {
        return required;
    }

    /**
     * What {@code token} grants.
     *
     * @throws TokenRejectedException when it grants nothing: expired, or not valid (the message says why)
     */
    public ChannelGrant verify(String token) {
        if (processor == null) {
            throw new IllegalStateException("no key to verify tokens with: WEBSOCKET_AUTH is none");
        }
        JWTClaimsSet claims;
        try {
            claims = processor.process(token, null);
        } catch (ExpiredJWTException e) {
            throw new TokenRejectedException(TokenRejectedException.EXPIRED, "the token has expired");
        } catch (ParseException e) {
            throw new TokenRejectedException(TokenRejectedException.INVALID, "the token is not a JWT");
        } catch (KeySourceException e) {
            throw new TokenRejectedException(TokenRejectedException.INVALID,
                    "the token's signing key could not be fetched; try again");
        } catch (BadJWTException e) {
            throw new TokenRejectedException(TokenRejectedException.INVALID, "the token was refused: " + e.getMessage());
        } catch (BadJOSEException | JOSEException e) {
            throw new TokenRejectedException(TokenRejectedException.INVALID, "the token's signature does not verify"
                    + " with this service's key");
        }
        return grant(claims);
    }

    private ChannelGrant grant(JWTClaimsSet claims) {
        Object value = claims.getClaim(CHANNELS);
        if (!(value instanceof List<?> list)) {
            throw new TokenRejectedException(TokenRejectedException.INVALID,
                    "the token's 'channels' claim must be an array of channel names");
        }
        List<String> entries = new ArrayList<>(list.size());
        for (Object entry : list) {
            if (!(entry instanceof String name) || name.isEmpty() || name.indexOf('*') != name.length() - 1
                    && name.indexOf('*') >= 0) {
                throw new TokenRejectedException(TokenRejectedException.INVALID, "the token's 'channels' claim must"
                        + " hold channel names, or prefixes ending in a single '*'");
            }
            entries.add(name);
        }
        Date exp = claims.getExpirationTime();
        return ChannelGrant.of(entries, exp.toInstant().plus(skew));
    }

    /** Mints tokens, when the keys are an HS256 secret this service knows. */
    public Optional<TokenMint> mint() {
        return Optional.ofNullable(mint);
    }

    /** Now, by this access's clock. */
    public Instant now() {
        return clock.instant();
    }

    @Override
    public String toString() {
        return (required ? "jwt" : "none") + (processor == null ? "" : " (tokens checked with the " + keys + ")");
    }
}
