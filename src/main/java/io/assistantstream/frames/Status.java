package io.assistantstream.frames;

/** A frame's {@code status}, with the {@code type} and {@code final_message} that go with it. */
public enum Status {
    STARTED("started", "status", false),
    PROCESSING("processing", "status", false),
    RESPONDING("responding", "status", false),
    IN_PROGRESS("in_progress", "response", false),
    COMPLETED("completed", "response", true),
    /** Stopped by a cancel: {@code message} is the text so far. */
    CANCELLED("cancelled", "response", true),
    ERROR("error", "error", true);

    private final String wire;
    private final String type;
    private final boolean terminal;

    Status(String wire, String type, boolean terminal) {
        this.wire = wire;
        this.type = type;
        this.terminal = terminal;
    }

    /**
     * The status a frame's {@code status} field names.
     *
     * @throws IllegalArgumentException for anything else
     */
    public static Status ofWire(String wire) {
        for (Status status : values()) {
            if (status.wire.equals(wire)) {
                return status;
            }
        }
        throw new IllegalArgumentException("not a frame status: " + wire);
    }

    public String wire() {
        return wire;
    }

    public String type() {
        return type;
    }

    public boolean terminal() {
        return terminal;
    }
}
