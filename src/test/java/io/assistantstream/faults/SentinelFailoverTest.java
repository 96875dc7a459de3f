package io.assistantstream.faults;

import java.util.List;

import com.fasterxml.jackson.databind.JsonNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

import io.assistantstream.AssistantStream;
import io.assistantstream.testing.RedisSentinels;
import io.assistantstream.testing.TestWorld;
import io.assistantstream.testing.WsClient;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Redis behind Sentinels ({@code REDIS_MODE=sentinel}): the service follows the master through a failover. */
class SentinelFailoverTest {
    @RegisterExtension
    final TestWorld world = TestWorld.perTest();

    /**
     * A message published just as the master dies waits (its delivery requeued while Redis is away)
     * until the Sentinels promote the replica, and is answered there; so is the next one.
     */
    @Test
    void messages_sent_while_and_after_the_sentinels_replace_a_killed_master_are_answered() throws Exception {
        try (RedisSentinels sentinels = new RedisSentinels()) {
            world.set("redis.mode", "sentinel").set("redis.url", sentinels.url());
            AssistantStream service = world.start();
            try (WsClient client = WsClient.connect(service.port())) {
                client.subscribe("s");
                assertEquals("Echo: hello before",
                        world.answer(client, "s", "before", "hello before").getLast().path("message").asText());
                sentinels.killMaster();
                long killed = System.nanoTime();
                assertEquals("Echo: hello during",
                        world.answer(client, "s", "during", "hello during").getLast().path("message").asText());
                System.out.printf("sentinel: a message published as the master was killed was answered %.1f s later%n",
                        (System.nanoTime() - killed) / 1e9);
                sentinels.awaitFailover();
                // commands, the frame log and pub/sub all moved to the new master
                assertEquals("Echo: hello after",
                        world.answer(client, "s", "after", "hello after").getLast().path("message").asText());
            }
            try (WsClient late = WsClient.connect(service.port())) { // and the log there serves a resume
                JsonNode subscribed = late.subscribe("s", 0L, null);
                assertEquals("subscribed", subscribed.path("type").asText(), subscribed.toString());
                List<JsonNode> replayed = late.answer("after");
                assertEquals("completed", replayed.getLast().path("status").asText());
            }
        }
    }
}
