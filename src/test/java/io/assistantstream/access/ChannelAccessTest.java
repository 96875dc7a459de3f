package io.assistantstream.access;

import java.io.IOException;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import static io.assistantstream.access.TestTokens.SECRET;
import static io.assistantstream.access.TestTokens.granting;
import static io.assistantstream.access.TestTokens.hs256;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What a channel token grants, and every way one is refused, with each kind of key. */
class ChannelAccessTest {
    private static ChannelAccess access(ChannelAccess.Keys keys, String audience, String issuer) {
        return access(keys, audience, issuer, Duration.ofMillis(200));
    }

    private static ChannelAccess access(ChannelAccess.Keys keys, String audience, String issuer, Duration jwksInterval) {
        return ChannelAccess.jwt(keys, true, audience, issuer, jwksInterval, Clock.systemUTC(), Duration.ZERO);
    }

    private static final ChannelAccess HS256 = access(ChannelAccess.Keys.secret(SECRET), "", "");

    @Test
    void a_token_grants_the_channels_it_names_and_every_channel_starting_with_a_prefix_that_ends_in_a_star() {
        ChannelGrant grant = HS256.verify(hs256(60, "room-1", "team-7/*"));
        assertTrue(grant.covers("room-1"));
        assertTrue(grant.covers("team-7/general"));
        assertFalse(grant.covers("room-2"), "not named");
        assertFalse(grant.covers("team-70"), "the prefix is team-7/, slash included");
        assertFalse(grant.covers("room-1x"), "an exact name is no prefix");
        assertTrue(grant.liveAt(Instant.now()));
        assertFalse(grant.liveAt(Instant.now().plusSeconds(61)), "it ends at exp");
    }

    @Test
    void a_token_past_its_exp_is_refused_as_expired() {
        TokenRejectedException refused = assertThrows(TokenRejectedException.class,
                () -> HS256.verify(hs256(-5, "room-1")));
        assertEquals(TokenRejectedException.EXPIRED, refused.code());
    }

    static Stream<Arguments> invalidTokens() {
        Instant later = Instant.now().plusSeconds(60);
        return Stream.of(
                Arguments.of("not a JWT", "not.a.jwt"),
                Arguments.of("without exp", hs256(SECRET, granting(null, "room-1").build())),
                Arguments.of("without channels", hs256(SECRET, new JWTClaimsSet.Builder()
                        .expirationTime(java.util.Date.from(later)).build())),
                Arguments.of("channels not an array", hs256(SECRET, granting(later).claim("channels", "room-1").build())),
                Arguments.of("a star inside a name", hs256(SECRET, granting(later, "ro*m").build())),
                Arguments.of("another secret", hs256("another-secret-of-at-least-32-bytes!!", granting(later, "room-1")
                        .build())),
                Arguments.of("signed with an RSA key", TestTokens.signed(TestTokens.rsaKey("k"), granting(later, "room-1")
                        .build())));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("invalidTokens")
    void a_token_that_is_malformed_unsigned_by_the_key_or_without_the_claims_it_needs_is_refused_as_invalid(
            String why, String token) {
        TokenRejectedException refused = assertThrows(TokenRejectedException.class, () -> HS256.verify(token));
        assertEquals(TokenRejectedException.INVALID, refused.code(), refused.getMessage());
        assertFalse(refused.getMessage().contains(token), "the message never repeats the token");
    }

    @Test
    void audience_and_issuer_are_checked_when_they_are_configured() {
        ChannelAccess strict = access(ChannelAccess.Keys.secret(SECRET), "chat-frontend", "https://app.example.com");
        Instant later = Instant.now().plusSeconds(60);
        String right = hs256(SECRET, granting(later, "room-1").audience("chat-frontend")
                .issuer("https://app.example.com").build());
        assertTrue(strict.verify(right).covers("room-1"));
        for (JWTClaimsSet wrong : List.of(
                granting(later, "room-1").issuer("https://app.example.com").build(),
                granting(later, "room-1").audience("other").issuer("https://app.example.com").build(),
                granting(later, "room-1").audience("chat-frontend").issuer("https://evil.example").build())) {
            assertEquals(TokenRejectedException.INVALID, assertThrows(TokenRejectedException.class,
                    () -> strict.verify(hs256(SECRET, wrong))).code(), wrong.toString());
        }
    }

    static Stream<JWK> keyPairs() {
        return Stream.of(TestTokens.rsaKey("rsa-1"), TestTokens.ecKey("ec-1"));
    }

    @ParameterizedTest
    @MethodSource("keyPairs")
    void rs256_and_es256_tokens_are_checked_with_a_pem_public_key(JWK key) {
        ChannelAccess pem = access(ChannelAccess.Keys.publicKey(TestTokens.pem(key)), "", "");
        JWTClaimsSet claims = granting(Instant.now().plusSeconds(60), "room-1").build();
        assertTrue(pem.verify(TestTokens.signed(key, claims)).covers("room-1"));
        JWK other = key instanceof com.nimbusds.jose.jwk.RSAKey ? TestTokens.rsaKey("rsa-2") : TestTokens.ecKey("ec-2");
        assertThrows(TokenRejectedException.class, () -> pem.verify(TestTokens.signed(other, claims)),
                "a token of another key");
        assertThrows(TokenRejectedException.class, () -> pem.verify(hs256(60, "room-1")),
                "an HS256 token, even one whose secret were the public key");
    }

    @Test
    void keys_that_cannot_check_tokens_are_refused_at_start() {
        assertThrows(IllegalArgumentException.class, () -> access(ChannelAccess.Keys.secret("short"), "", ""));
        assertThrows(IllegalArgumentException.class, () -> access(ChannelAccess.Keys.publicKey("-----BEGIN PUBLIC KEY-----"
                + "\nbm90IGEga2V5\n-----END PUBLIC KEY-----"), "", ""));
    }

    @Test
    void a_jwks_endpoint_is_fetched_again_for_an_unknown_key_id_so_a_rotated_key_is_accepted() throws Exception {
        JWK first = TestTokens.rsaKey("first");
        JWK second = TestTokens.ecKey("second");
        AtomicReference<JWKSet> served = new AtomicReference<>(new JWKSet(first.toPublicJWK()));
        AtomicInteger fetches = new AtomicInteger();
        HttpServer server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.createContext("/jwks.json", exchange -> {
            fetches.incrementAndGet();
            byte[] body = served.get().toString().getBytes(StandardCharsets.UTF_8);
            exchange.getResponseHeaders().add("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        server.start();
        try {
            ChannelAccess jwks = access(ChannelAccess.Keys.jwks(URI.create("http://127.0.0.1:"
                    + server.getAddress().getPort() + "/jwks.json")), "", "");
            JWTClaimsSet claims = granting(Instant.now().plusSeconds(60), "room-1").build();
            assertTrue(jwks.verify(TestTokens.signed(first, claims)).covers("room-1"));
            assertTrue(jwks.verify(TestTokens.signed(first, claims)).covers("room-1"));
            assertEquals(1, fetches.get(), "the key set is cached");

            served.set(new JWKSet(second.toPublicJWK())); // the issuer rotated its key
            Thread.sleep(300); // past the shortest time between two fetches
            assertTrue(jwks.verify(TestTokens.signed(second, claims)).covers("room-1"), "the new key id is fetched");
            assertEquals(2, fetches.get());

            // made-up key ids cannot make a flood of fetches: at most one a (here) ten-second interval, or so
            ChannelAccess slow = access(ChannelAccess.Keys.jwks(URI.create("http://127.0.0.1:"
                    + server.getAddress().getPort() + "/jwks.json")), "", "", Duration.ofSeconds(10));
            List<String> unknown = new java.util.ArrayList<>();
            for (int i = 0; i < 20; i++) {
                unknown.add(TestTokens.signed(TestTokens.ecKey("made-up-" + i), claims));
            }
            int before = fetches.get();
            for (String token : unknown) {
                assertThrows(TokenRejectedException.class, () -> slow.verify(token));
            }
            assertTrue(fetches.get() - before <= 2, "fetches are rate limited: " + (fetches.get() - before));
        } finally {
            server.stop(0);
        }
    }

    @Test
    void a_minted_token_carries_the_audience_and_issuer_that_are_checked_and_grants_what_it_was_minted_for() {
        ChannelAccess strict = access(ChannelAccess.Keys.secret(SECRET), "chat-frontend", "assistant-stream");
        TokenMint.Minted minted = strict.mint().orElseThrow().mint(List.of("room-1", "team-7/*"),
                Duration.ofMinutes(5), "user-42");
        ChannelGrant grant = strict.verify(minted.token());
        assertTrue(grant.covers("room-1") && grant.covers("team-7/x") && !grant.covers("room-2"));
        assertEquals(minted.expires().getEpochSecond(), grant.expires().getEpochSecond());
        assertThrows(IllegalArgumentException.class, () -> strict.mint().orElseThrow().mint(List.of("room-1"),
                Duration.ofDays(2), ""), "longer than a day");
        assertThrows(IllegalArgumentException.class, () -> strict.mint().orElseThrow().mint(List.of("r*om"),
                Duration.ofMinutes(1), ""));
        assertTrue(access(ChannelAccess.Keys.publicKey(TestTokens.pem(TestTokens.ecKey("e"))), "", "").mint().isEmpty(),
                "only a secret mints");
    }
}
