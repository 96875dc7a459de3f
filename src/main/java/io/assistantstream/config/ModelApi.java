package io.assistantstream.config;

import java.util.Locale;

/** The model server's API the service speaks ({@code OPENAI_API}), by its name in settings and in Redis metadata. */
public enum ModelApi {
    /** OpenAI's Responses + Conversations API (the default). */
    RESPONSES,
    /** The Assistants API v2 (threads and runs), for servers that still speak it. */
    ASSISTANTS,
    /** Chat Completions, the history kept in Redis: Ollama, vLLM, LiteLLM, Groq, OpenRouter, Azure OpenAI, … */
    CHAT,
    /** No model server: each message is streamed back word by word, to try the service without a key. */
    ECHO;

    /** Whether the service cannot start without {@code OPENAI_API_KEY}. */
    public boolean needsKey() {
        return this == RESPONSES || this == ASSISTANTS;
    }

    /** The name in {@code OPENAI_API} and in a channel's metadata ({@code backend}). */
    public String wire() {
        return name().toLowerCase(Locale.ROOT);
    }
}
