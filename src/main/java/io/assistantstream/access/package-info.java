/**
 * Who may read which channel on {@code /ws}: the channel tokens (JWTs) a connection presents, what
 * each grants and until when ({@link io.assistantstream.access.ChannelAccess},
 * {@link io.assistantstream.access.ChannelGrant}, {@link io.assistantstream.access.ConnectionTokens}),
 * and minting them for backends and the demo page ({@link io.assistantstream.access.TokenMint}).
 * Signatures, keys and the JWKS endpoint are nimbus-jose-jwt's: nothing here checks a signature by
 * hand.
 */
package io.assistantstream.access;
