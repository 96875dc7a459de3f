package io.assistantstream.intake;

/**
 * A delivery that cannot be answered as it is; retrying would not help. {@code channel} is the
 * channel when it could still be read (so clients can get an error frame), else null.
 */
public final class RejectedRequestException extends Exception {
    private final String channel;
    private final String messageId;

    RejectedRequestException(String reason, String channel, String messageId) {
        super(reason);
        this.channel = channel;
        this.messageId = messageId;
    }

    public String channel() {
        return channel;
    }

    public String messageId() {
        return messageId;
    }
}
