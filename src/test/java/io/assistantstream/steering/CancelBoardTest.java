package io.assistantstream.steering;

import java.time.Clock;
import java.time.Duration;
import java.util.UUID;

import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.api.StatefulRedisConnection;
import org.junit.jupiter.api.Test;

import io.assistantstream.answer.Cancellation;
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
        cancelWhileDeaf(false);
    }

    /**
     * One instance ("here") answers a message while its pub/sub connection is cut; another cancels it.
     * The pub/sub connection comes back first; with {@code commandsDownToo}, here's commands connection
     * is still cut then, and comes back two seconds later.
     */
    private static void cancelWhileDeaf(boolean commandsDownToo) throws Exception {
        String prefix = "cancel-board-" + UUID.randomUUID() + ":";
        RedisClient redis = RedisClient.create("redis://127.0.0.1:" + REDIS_PORT);
        try (TcpProxy pubSubLink = new TcpProxy(REDIS_PORT); TcpProxy commandsLink = new TcpProxy(REDIS_PORT);
             StatefulRedisConnection<String, String> hereCommands = redis.connect(
                     RedisURI.create("redis://127.0.0.1:" + commandsLink.port()));
             StatefulRedisConnection<String, String> commands = redis.connect();
             CancelBoard here = new CancelBoard(hereCommands,
                     redis.connectPubSub(RedisURI.create("redis://127.0.0.1:" + pubSubLink.port())),
                     prefix, Duration.ofMinutes(1), Clock.systemUTC());
             CancelBoard elsewhere = new CancelBoard(commands, redis.connectPubSub(), prefix, Duration.ofMinutes(1),
                     Clock.systemUTC())) {
            here.entered("c", "m1");
            Cancellation answer = new Cancellation();
            try (CancelBoard.Watch ignored = here.watch("c", "m1", answer)) {
                commandsLink.refuse(commandsDownToo);
                pubSubLink.refuse(true); // here's pub/sub connection is cut, and cannot come back yet
                assertTrue(elsewhere.cancel("c", "m1"), "the message is in flight: the cancel is taken");
                Thread.sleep(300);
                assertFalse(answer.requested(), "nobody here heard it");
                pubSubLink.refuse(false);
                if (commandsDownToo) {
                    Thread.sleep(2_000); // the subscription is back, its read of the marks failed
                    assertFalse(answer.requested());
                    commandsLink.refuse(false);
                }
                assertTrue(Readiness.poll(Duration.ofSeconds(20), Duration.ofMillis(50), answer::requested,
                        requested -> requested), "the answer stops once the subscription is back");
            }
        } finally {
            try (StatefulRedisConnection<String, String> cleanup = redis.connect()) {
                cleanup.sync().del(CancelBoard.inFlightKey(prefix, "c"), CancelBoard.cancelKey(prefix, "c", "m1"));
            }
            redis.shutdown();
        }
    }
}
