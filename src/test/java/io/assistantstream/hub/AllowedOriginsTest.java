package io.assistantstream.hub;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllowedOriginsTest {
    private static final String SERVICE = "chat.example.com:8080";

    @Test
    void an_empty_list_or_a_star_lets_every_origin_in() {
        for (String list : new String[] {"", "  ", "*", "https://a.example, *"}) {
            AllowedOrigins origins = AllowedOrigins.parse(list);
            assertTrue(origins.any(), list);
            assertTrue(origins.allows("http://localhost:3000", SERVICE), list);
            assertTrue(origins.allows("null", SERVICE), list);
        }
    }

    @Test
    void a_listed_origin_matches_whatever_its_case_default_port_or_trailing_slash() {
        AllowedOrigins origins = AllowedOrigins.parse(" HTTPS://App.Example.com:443/ , http://localhost:3000");
        assertFalse(origins.any());
        assertTrue(origins.allows("https://app.example.com", SERVICE));
        assertTrue(origins.allows("https://APP.example.com:443", SERVICE));
        assertTrue(origins.allows("http://localhost:3000", SERVICE));
    }

    @Test
    void an_origin_not_listed_is_refused_even_when_it_looks_close() {
        AllowedOrigins origins = AllowedOrigins.parse("https://app.example.com,http://localhost:3000");
        for (String origin : new String[] {"http://app.example.com", "https://app.example.com:8443",
                "https://evil-app.example.com", "https://app.example.com.evil.net", "http://localhost:3001",
                "http://localhost", "null", "not an origin", "https://app.example.com/path", ""}) {
            assertFalse(origins.allows(origin, SERVICE), origin);
        }
    }

    @Test
    void a_wildcard_entry_lets_in_every_subdomain_but_not_the_domain_itself() {
        AllowedOrigins origins = AllowedOrigins.parse("https://*.example.com");
        assertTrue(origins.allows("https://app.example.com", SERVICE));
        assertTrue(origins.allows("https://a.b.example.com", SERVICE));
        assertFalse(origins.allows("https://example.com", SERVICE));
        assertFalse(origins.allows("https://badexample.com", SERVICE));
        assertFalse(origins.allows("http://app.example.com", SERVICE), "the scheme counts");
        assertFalse(origins.allows("https://app.example.com:8443", SERVICE), "the port counts");
        assertEquals("https://*.example.com", origins.toString());
    }

    @Test
    void the_services_own_pages_are_always_let_in() {
        AllowedOrigins origins = AllowedOrigins.parse("https://app.example.com");
        assertTrue(origins.allows("http://chat.example.com:8080", SERVICE));
        assertTrue(origins.allows("https://chat.example.com", "chat.example.com"));
        assertTrue(origins.allows("http://127.0.0.1:8080", "127.0.0.1:8080"));
        assertFalse(origins.allows("http://chat.example.com:8081", SERVICE));
        assertFalse(origins.allows("http://chat.example.com:8080", ""), "no Host, nothing to compare");
    }

    @Test
    void null_lets_in_sandboxed_frames_and_file_pages_only_when_listed() {
        assertTrue(AllowedOrigins.parse("null").allows("null", SERVICE));
        assertFalse(AllowedOrigins.parse("https://app.example.com").allows("null", SERVICE));
    }

    @Test
    void an_entry_that_is_no_origin_is_refused_naming_it() {
        for (String entry : new String[] {"app.example.com", "https://app.example.com/chat", "https://user@app.example.com",
                "https://app.example.com?x=1", "https://"}) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AllowedOrigins.parse("https://ok.example.com," + entry));
            assertTrue(e.getMessage().startsWith("'" + entry + "' is not an origin"), e.getMessage());
        }
    }
}
