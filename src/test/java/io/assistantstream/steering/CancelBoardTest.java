package io.assistantstream.steering;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import io.assistantstream.answer.Cancellation;
import io.assistantstream.redis.ClassicTopics;
import io.assistantstream.redis.KeySpace;
import io.assistantstream.redis.RedisConnection;
import io.assistantstream.testing.Readiness;
import io.assistantstream.testing.TcpProxy;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The cancels board on a real Redis: what an instance hears, and what it reads when it could not hear. */
class CancelBoardTest {
    private static final int REDIS_PORT = 6379;

    @Test
    void a_cancel_published_while_an_instances_subscription_is_down_stops_its_answer_once_it_is_back()
            throws Exception {
        String prefix = "cancel-board-" + UUID.randomUUID() + ":";
        RedisClient redis = RedisClient.create("redis://127.0.0.1:" + REDIS_PORT);
        try (TcpProxy pubSubLink = new TcpProxy(REDIS_PORT);
             StatefulRedisConnection<String, String> commands = redis.connect();
             CancelBoard here = new CancelBoard(RedisConnection.of(commands), new ClassicTopics(
                     redis.connectPubSub(RedisURI.create("redis://127.0.0.1:" + pubSubLink.port()))),
                     KeySpace.standalone(prefix), Duration.ofMinutes(1), Clock.systemUTC());
             CancelBoard elsewhere = new CancelBoard(RedisConnection.of(commands), new ClassicTopics(redis.connectPubSub()),
                     KeySpace.standalone(prefix), Duration.ofMinutes(1), Clock.systemUTC())) {
            here.entered("c", "m1");
            Cancellation answer = new Cancellation();
            try (CancelBoard.Watch ignored = here.watch("c", "m1", answer)) {
                pubSubLink.refuse(true); // here's pub/sub connection is cut, and cannot come back yet
                assertTrue(elsewhere.cancel("c", "m1"), "the message is in flight: the cancel is taken");
                Thread.sleep(300);
                assertFalse(answer.requested(), "nobody here heard it");
                pubSubLink.refuse(false);
                assertTrue(Readiness.poll(Duration.ofSeconds(20), Duration.ofMillis(50), answer::requested,
                        requested -> requested), "the answer stops once the subscription is back");
            }
        } finally {
            try (StatefulRedisConnection<String, String> cleanup = redis.connect()) {
                cleanup.sync().del(CancelBoard.inFlightKey(KeySpace.standalone(prefix), "c"),
                        CancelBoard.cancelKey(KeySpace.standalone(prefix), "c", "m1"));
            }
            redis.shutdown();
        }
    }
}
