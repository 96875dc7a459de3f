/**
 * The administration of channel → conversation mappings, for the command line and the
 * {@code /admin} routes: statistics, one channel's mapping, and deleting one, the old or all
 * mappings; plus {@code POST /admin/messages}, which queues a message through the intake's
 * {@link io.assistantstream.intake.QueueProducer} with the intake's own validation.
 *
 * <p>It reads and deletes the conversation store's keys ({@code thread:}, {@code metadata:} and the
 * {@code channels} index) directly in Redis, with its own Lua scripts, rather than through
 * {@code store}: the key layout is known in both places. Deleting a channel also deletes its frame
 * log and answer text ({@code log:}, {@code text:}), which hold its recent answers. It walks Redis
 * only through the index and {@code SCAN}, never {@code KEYS}. It must not touch the assistant id,
 * the frame counters ({@code seq:}), the dedup records ({@code answered:}) or the lease keys, and it takes no part in
 * answering: nothing on a message's path calls it.
 */
package io.assistantstream.admin;
