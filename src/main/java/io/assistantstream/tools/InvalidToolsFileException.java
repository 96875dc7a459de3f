package io.assistantstream.tools;

/**
 * {@code TOOLS_FILE} cannot be used; the message names the file, the tool (by name, or by position
 * when it has no usable name) and the field to fix, and never a header's value.
 */
public final class InvalidToolsFileException extends RuntimeException {
    InvalidToolsFileException(String message) {
        super(message);
    }
}
