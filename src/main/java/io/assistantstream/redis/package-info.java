/**
 * Redis mechanisms, whatever Redis the service runs on: {@link io.assistantstream.redis.RedisDeployment}
 * opens the connections to one server, to the master Sentinels name, or to a Redis Cluster;
 * {@link io.assistantstream.redis.RedisConnection} is one of them as the service uses it;
 * {@link io.assistantstream.redis.KeySpace} names keys so that each channel's keys share a cluster
 * slot (and keep their historic names on one server); {@link io.assistantstream.redis.Topics} is
 * pub/sub, classic or sharded, subscribed again after reconnects and failovers;
 * {@link io.assistantstream.redis.LuaScript} runs a Lua script by SHA with a reload after
 * {@code NOSCRIPT} (waited for or not), or sent whole and not awaited when calls must stay in order;
 * and {@link io.assistantstream.redis.RedisVersion} is the oldest server the service runs on.
 *
 * <p>Mechanisms only: it knows no particular key and no other package of the service. The scripts
 * themselves, and the keys they touch, belong to the packages that define them.
 */
package io.assistantstream.redis;
