/**
 * Redis mechanisms: {@link io.assistantstream.redis.LuaScript}, running a Lua script on a lettuce
 * connection, by SHA with a reload after {@code NOSCRIPT} (waited for or not), or sent whole and not
 * awaited when calls must stay in order; and {@link io.assistantstream.redis.RedisVersion}, the
 * oldest server the service runs on, checked at start.
 *
 * <p>Mechanisms only: it knows no key, no prefix and no other package of the service. The scripts
 * themselves, and the keys they touch, belong to the packages that define them.
 */
package io.assistantstream.redis;
