package io.assistantstream.access;

import java.time.Instant;
import java.util.Date;
import java.util.List;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.JWSSigner;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;

/**
 * Channel tokens as a backend mints them, with any JWT library: here nimbus's, signed with an HS256
 * secret or a generated RSA or EC key. For tests of the service's checks, never the service's code.
 */
public final class TestTokens {
    /** A secret long enough for HS256. */
    public static final String SECRET = "a-test-secret-of-at-least-32-bytes!!";

    private TestTokens() {
    }

    /** Claims granting {@code channels} until {@code expires}; null expires leaves {@code exp} out. */
    public static JWTClaimsSet.Builder granting(Instant expires, String... channels) {
        JWTClaimsSet.Builder claims = new JWTClaimsSet.Builder().claim("channels", List.of(channels));
        if (expires != null) {
            claims.expirationTime(Date.from(expires));
        }
        return claims;
    }

    /** An HS256 token with {@link #SECRET}, granting {@code channels} for {@code seconds}. */
    public static String hs256(long seconds, String... channels) {
        return hs256(SECRET, granting(Instant.now().plusSeconds(seconds), channels).build());
    }

    public static String hs256(String secret, JWTClaimsSet claims) {
        try {
            return sign(new MACSigner(secret.getBytes(java.nio.charset.StandardCharsets.UTF_8)), JWSAlgorithm.HS256,
                    null, claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** A token signed with {@code key} (RS256 for RSA, ES256 for EC), naming its key id. */
    public static String signed(JWK key, JWTClaimsSet claims) {
        try {
            if (key instanceof RSAKey rsa) {
                return sign(new RSASSASigner(rsa), JWSAlgorithm.RS256, rsa.getKeyID(), claims);
            }
            ECKey ec = (ECKey) key;
            return sign(new ECDSASigner(ec), JWSAlgorithm.ES256, ec.getKeyID(), claims);
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    private static String sign(JWSSigner signer, JWSAlgorithm algorithm, String keyId, JWTClaimsSet claims)
            throws JOSEException {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(keyId).build(), claims);
        jwt.sign(signer);
        return jwt.serialize();
    }

    public static RSAKey rsaKey(String keyId) {
        try {
            return new RSAKeyGenerator(2048).keyID(keyId).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    public static ECKey ecKey(String keyId) {
        try {
            return new ECKeyGenerator(Curve.P_256).keyID(keyId).generate();
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The PEM form of a key's public half. */
    public static String pem(JWK key) {
        try {
            java.security.PublicKey publicKey = key instanceof RSAKey rsa ? rsa.toPublicKey() : ((ECKey) key).toPublicKey();
            return "-----BEGIN PUBLIC KEY-----\n"
                    + java.util.Base64.getMimeEncoder(64, "\n".getBytes()).encodeToString(publicKey.getEncoded())
                    + "\n-----END PUBLIC KEY-----\n";
        } catch (JOSEException e) {
            throw new IllegalStateException(e);
        }
    }
}
