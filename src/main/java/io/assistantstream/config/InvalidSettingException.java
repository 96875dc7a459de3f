package io.assistantstream.config;

/** A setting is missing or has a value the service cannot run with; the message names the variable. */
public final class InvalidSettingException extends RuntimeException {
    InvalidSettingException(String message) {
        super(message);
    }
}
