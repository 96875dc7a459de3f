package io.assistantstream.frames;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The frames a resuming client gets, built from what the frame log holds and the frames of this
 * instance not logged yet: in seq order, each once, with consecutive {@code in_progress} frames of a
 * message coalesced into one.
 *
 * <p>The log keeps an {@code in_progress} frame without its {@code message} (the answer so far), so
 * that its memory grows with the answer's length, not with its square. The message is rebuilt here,
 * backwards from the latest text known for the message: the answer text kept beside the log (the
 * text at the latest logged frame), a frame that carries the whole message (its {@code completed}
 * frame, or a frame answered here), each time less the delta that followed. A message whose text is
 * known nowhere (an answer that failed and was followed by another) gets the text of the deltas the
 * replay holds.
 */
public final class Replay {
    private Replay() {
    }

    /**
     * @param logged     the logged frames after {@code since}, in seq order, {@code in_progress} ones
     *                   possibly without message
     * @param textOf     the message id whose text is {@code text}; null when none is kept
     * @param text       that message's text (JSON-escaped) as of the latest logged frame
     * @param unlogged   frames answered here and not logged yet, whole
     * @param since      the seq the client has
     * @param coalesce   whether consecutive {@code in_progress} frames of a message become one: for
     *                   one client resuming, not for a gap filled for many (each of them may have
     *                   some of those frames already)
     */
    public static List<NumberedFrame> of(List<NumberedFrame> logged, String textOf, String text,
                                         List<NumberedFrame> unlogged, long since, boolean coalesce) {
        TreeMap<Long, Frame> bySeq = new TreeMap<>();
        for (NumberedFrame frame : logged) {
            if (frame.seq() > since) {
                bySeq.put(frame.seq(), frame.frame());
            }
        }
        for (NumberedFrame frame : unlogged) {
            if (frame.seq() > since) {
                bySeq.put(frame.seq(), frame.frame()); // the whole frame wins over its logged twin
            }
        }
        List<Long> seqs = new ArrayList<>(bySeq.keySet());
        List<Frame> frames = new ArrayList<>(bySeq.values());
        fillBackwards(frames, textOf, text);
        fillForwards(frames);
        return coalesce ? coalesce(seqs, frames) : numbered(seqs, frames);
    }

    private static void fillBackwards(List<Frame> frames, String textOf, String text) {
        Map<String, String> known = new HashMap<>();
        if (textOf != null && text != null) {
            known.put(textOf, text);
        }
        for (int i = frames.size() - 1; i >= 0; i--) {
            Frame frame = frames.get(i);
            String id = frame.messageId();
            switch (frame.status()) {
                case COMPLETED, CANCELLED -> known.put(id, frame.message().escaped());
                case RESPONDING, STARTED -> known.remove(id); // no text before these
                case IN_PROGRESS -> {
                    String soFar = frame.message() != null ? frame.message().escaped() : known.get(id);
                    if (soFar == null) {
                        break;
                    }
                    if (frame.message() == null) {
                        frames.set(i, withMessage(frame, soFar));
                    }
                    String delta = frame.delta() == null ? "" : JsonText.of(frame.delta()).escaped();
                    known.put(id, soFar.length() >= delta.length() ? soFar.substring(0, soFar.length() - delta.length())
                            : "");
                }
                default -> { }
            }
        }
    }

    /** Messages whose text is known nowhere: the deltas the replay holds, added up. */
    private static void fillForwards(List<Frame> frames) {
        Map<String, StringBuilder> seen = new HashMap<>();
        for (int i = 0; i < frames.size(); i++) {
            Frame frame = frames.get(i);
            if (frame.status() == Status.STARTED || frame.status() == Status.RESPONDING) {
                seen.remove(frame.messageId()); // an attempt starts again from no text
            }
            if (frame.status() != Status.IN_PROGRESS) {
                continue;
            }
            StringBuilder text = seen.computeIfAbsent(frame.messageId(), id -> new StringBuilder());
            if (frame.message() != null) {
                text.setLength(0);
                text.append(frame.message().escaped());
            } else {
                if (frame.delta() != null) {
                    JsonText.escape(text, frame.delta());
                }
                frames.set(i, withMessage(frame, text.toString()));
            }
        }
    }

    private static List<NumberedFrame> coalesce(List<Long> seqs, List<Frame> frames) {
        List<NumberedFrame> out = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            NumberedFrame frame = NumberedFrame.of(seqs.get(i), frames.get(i));
            if (!out.isEmpty() && out.getLast().continuedBy(frame)) {
                out.set(out.size() - 1, out.getLast().merge(frame));
            } else {
                out.add(frame);
            }
        }
        return out;
    }

    private static List<NumberedFrame> numbered(List<Long> seqs, List<Frame> frames) {
        List<NumberedFrame> out = new ArrayList<>(frames.size());
        for (int i = 0; i < frames.size(); i++) {
            out.add(NumberedFrame.of(seqs.get(i), frames.get(i)));
        }
        return out;
    }

    private static Frame withMessage(Frame frame, String escaped) {
        return new Frame(frame.channel(), frame.messageId(), frame.conversationId(), frame.status(),
                new JsonText(escaped), frame.delta(), frame.errorDetails(), frame.timestampMillis());
    }
}
