package io.assistantstream.answer;

/** How an answer ended: completed, or failed with the reason its error frame gave. */
public record Outcome(boolean completed, String failure) {
    static Outcome done() {
        return new Outcome(true, null);
    }

    static Outcome failed(String reason) {
        return new Outcome(false, reason);
    }
}
