package io.assistantstream.message;

/** The rule for channel names and message ids, shared by the intake and the WebSocket hub. */
public final class Identifiers {
    private Identifiers() {
    }

    /** What is wrong with {@code value} as an identifier, or null when it is fine. */
    public static String problem(String value, int maxChars) {
        int length = value.codePointCount(0, value.length());
        if (length == 0) {
            return "is empty";
        }
        if (length > maxChars) {
            return "has " + length + " characters, more than the " + maxChars + " allowed";
        }
        if (value.codePoints().anyMatch(Character::isISOControl)) {
            return "contains control characters";
        }
        return null;
    }
}
