package io.assistantstream.config;

import java.net.URI;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

class RedactedUriTest {
    @Test
    void a_url_loses_its_user_info_query_and_fragment_and_keeps_its_address_and_path() {
        assertEquals("https://127.0.0.1:8443/v1",
                RedactedUri.of(URI.create("https://sk-user:s3cret@127.0.0.1:8443/v1?key=s3cret#s3cret")).toString());
        assertEquals("https://api.openai.com/v1", RedactedUri.of(URI.create("https://api.openai.com/v1")).toString());
        assertEquals("http://[::1]:8080", RedactedUri.of(URI.create("http://only-a-user@[::1]:8080")).toString());
        // escaped characters stay as written, and a path is not taken for a secret
        assertEquals("http://host/a%20b/@c", RedactedUri.of(URI.create("http://u:p%40ss@host/a%20b/@c")).toString());
        assertEquals("mailto:***", RedactedUri.of(URI.create("mailto:someone@example.org")).toString());
        assertNull(RedactedUri.of(null));
    }

    @Test
    void user_info_in_a_text_is_removed_wherever_a_url_appears() {
        assertEquals("OpenAI could not be reached at https://127.0.0.1:1/v1: refused; see http://host/x",
                RedactedUri.inText("OpenAI could not be reached at https://sk-user:s3cret@127.0.0.1:1/v1: refused; "
                        + "see http://a:b@host/x"));
        // a password written out undecoded, with an @ of its own, goes whole
        assertEquals("{\"url\":\"https://host/v1\"}", RedactedUri.inText("{\"url\":\"https://u:p@ss@host/v1\"}"));
        assertEquals("mail someone@example.org", RedactedUri.inText("mail someone@example.org"));
        assertNull(RedactedUri.inText(null));
    }
}
