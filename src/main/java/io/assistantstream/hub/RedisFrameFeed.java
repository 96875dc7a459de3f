package io.assistantstream.hub;

import java.util.concurrent.CompletionStage;

import io.assistantstream.frames.FrameLog;
import io.assistantstream.frames.RedisFramePublisher;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.Topics;

/**
 * The frames of every other instance, as Redis pub/sub carries them on {@code {prefix}frames:{channel}}
 * (sharded pub/sub in a cluster), and the frame log. A subscribe waits for Redis' confirmation; the
 * topics are subscribed again after a reconnect or a failover. Every confirmation is reported
 * {@link Listener#resumed resumed}: the first one of a channel finds nothing to catch up on, and
 * those after make the hub fill what was published while the subscription was away.
 */
public final class RedisFrameFeed implements FrameFeed {
    private final Topics topics;
    private final KeySpace keys;
    private final FrameLog log;

    /** Listens on {@code topics}, of its own, for the frame topics of {@code keys}. */
    public RedisFrameFeed(Topics topics, KeySpace keys, FrameLog log) {
        this.topics = topics;
        this.keys = keys;
        this.log = log;
    }

    @Override
    public void listen(Listener listener) {
        String topicPrefix = keys.global("frames:");
        topics.listen(new Topics.Listener() {
            @Override
            public void message(String topic, String frame) {
                if (topic.startsWith(topicPrefix)) {
                    listener.frame(keys.channelOf(topic.substring(topicPrefix.length())), frame);
                }
            }

            @Override
            public void subscribed(String topic) {
                if (topic.startsWith(topicPrefix)) {
                    listener.resumed(keys.channelOf(topic.substring(topicPrefix.length())));
                }
            }
        });
    }

    @Override
    public void subscribe(String channel) {
        topics.subscribe(RedisFramePublisher.topic(keys, channel));
    }

    @Override
    public void unsubscribe(String channel) {
        topics.unsubscribe(RedisFramePublisher.topic(keys, channel));
    }

    @Override
    public long latest(String channel) {
        return log.latest(channel);
    }

    @Override
    public CompletionStage<FrameLog.Read> read(String channel, long since, boolean coalesce) {
        return log.read(channel, since, coalesce);
    }

    @Override
    public void close() {
        topics.close();
    }
}
