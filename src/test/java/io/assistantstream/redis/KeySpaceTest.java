package io.assistantstream.redis;

import java.util.List;

import io.lettuce.core.cluster.SlotHash;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

class KeySpaceTest {
    private static final KeySpace ONE = KeySpace.standalone("p:");
    private static final KeySpace CLUSTER = new KeySpace("p:", true);
    private static final List<String> CHANNELS = List.of("room-1", "a}b", "}", "{x}", "a{b", "ünïcödé 🙂", "x".repeat(300));

    @Test
    void on_one_redis_keys_keep_the_names_the_service_always_used() {
        assertEquals("p:log:room-1", ONE.of("log:", "room-1"));
        assertEquals("p:answered:6:room-1:m1", ONE.of("answered:", "room-1", "m1"));
        assertEquals("p:lease-alive:", ONE.scope("lease-alive:", "room-1"));
        assertEquals("p:channels", ONE.global("channels"));
        assertEquals("a}b", ONE.channelOf("a}b"));
    }

    @Test
    void in_a_cluster_every_key_of_a_channel_is_in_the_channel_s_slot_whatever_the_channel_holds() {
        for (String channel : CHANNELS) {
            int slot = SlotHash.getSlot(CLUSTER.of("log:", channel));
            for (String key : List.of(CLUSTER.of("text:", channel), CLUSTER.of("frames:", channel),
                    CLUSTER.of("answered:", channel, "m}1"), CLUSTER.scope("lease-alive:", channel) + "token")) {
                assertEquals(slot, SlotHash.getSlot(key), channel + " / " + key);
            }
            assertEquals(channel, CLUSTER.channelOf(CLUSTER.channel(channel)), "read back from a key");
        }
        assertEquals("p:log:{room-1}", CLUSTER.of("log:", "room-1"));
    }

    @Test
    void in_a_cluster_channels_spread_over_slots_and_two_channels_never_share_a_key() {
        assertNotEquals(SlotHash.getSlot(CLUSTER.of("log:", "room-1")), SlotHash.getSlot(CLUSTER.of("log:", "room-2")));
        assertNotEquals(CLUSTER.of("log:", "a}b"), CLUSTER.of("log:", "a"), "a channel with a brace is tagged apart");
        assertNotEquals(CLUSTER.channel("a}b"), CLUSTER.channel("a}c"));
    }

    @Test
    void a_channel_is_never_empty() {
        assertThrows(IllegalArgumentException.class, () -> CLUSTER.of("log:", ""));
        assertThrows(IllegalArgumentException.class, () -> ONE.of("log:", ""));
    }

    @Test
    void a_cluster_key_space_refuses_a_prefix_with_a_brace() {
        assertThrows(IllegalArgumentException.class, () -> new KeySpace("{app}:", true));
        assertEquals("{app}:x", new KeySpace("{app}:", false).global("x"));
    }
}
