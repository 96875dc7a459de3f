/**
 * {@link io.assistantstream.redis.LuaScript}: running a Lua script on a lettuce connection, by SHA
 * with a reload after {@code NOSCRIPT}, or sent whole and not awaited when calls must stay in order.
 *
 * <p>A mechanism only: it knows no key, no prefix and no other package of the service. The scripts
 * themselves, and the keys they touch, belong to the packages that define them.
 */
package io.assistantstream.redis;
