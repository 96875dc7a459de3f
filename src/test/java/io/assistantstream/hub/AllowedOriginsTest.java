package io.assistantstream.hub;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AllowedOriginsTest {
    @Test
    void an_empty_list_or_a_star_lets_every_origin_in() {
        for (String list : new String[] {"", "  ", "*", "https://a.example, *"}) {
            AllowedOrigins origins = AllowedOrigins.parse(list);
            assertTrue(origins.any(), list);
            assertTrue(origins.allows("http://localhost:3000"), list);
            assertTrue(origins.allows("null"), list);
        }
    }

    @Test
    void a_listed_origin_matches_whatever_its_case_default_port_or_trailing_slash() {
        AllowedOrigins origins = AllowedOrigins.parse(" HTTPS://App.Example.com:443/ , http://localhost:3000");
        assertFalse(origins.any());
        assertTrue(origins.allows("https://app.example.com"));
        assertTrue(origins.allows("https://APP.example.com:443"));
        assertTrue(origins.allows("http://localhost:3000"));
    }

    @Test
    void an_origin_not_listed_is_refused_even_when_it_looks_close() {
        AllowedOrigins origins = AllowedOrigins.parse("https://app.example.com,http://localhost:3000");
        for (String origin : new String[] {"http://app.example.com", "https://app.example.com:8443",
                "https://evil-app.example.com", "https://app.example.com.evil.net", "http://localhost:3001",
                "http://localhost", "null", "not an origin", "https://app.example.com/path", ""}) {
            assertFalse(origins.allows(origin), origin);
        }
    }

    @Test
    void a_wildcard_entry_lets_in_every_subdomain_but_not_the_domain_itself() {
        AllowedOrigins origins = AllowedOrigins.parse("https://*.example.com");
        assertTrue(origins.allows("https://app.example.com"));
        assertTrue(origins.allows("https://a.b.example.com"));
        assertFalse(origins.allows("https://example.com"));
        assertFalse(origins.allows("https://badexample.com"));
        assertFalse(origins.allows("http://app.example.com"), "the scheme counts");
        assertFalse(origins.allows("https://app.example.com:8443"), "the port counts");
        assertEquals("https://*.example.com", origins.toString());
    }

    @Test
    void with_a_list_even_the_services_own_origin_must_be_on_it() {
        // a DNS-rebinding page sends an Origin that matches the Host it reached: that proves nothing
        AllowedOrigins origins = AllowedOrigins.parse("https://app.example.com");
        assertFalse(origins.allows("http://chat.example.com:8080"));
        assertTrue(AllowedOrigins.parse("https://app.example.com,http://chat.example.com:8080")
                .allows("http://chat.example.com:8080"));
    }

    @Test
    void an_origin_that_is_itself_a_wildcard_is_refused() {
        assertFalse(AllowedOrigins.parse("https://*.example.com").allows("https://*.example.com"));
    }

    @Test
    void null_lets_in_sandboxed_frames_and_file_pages_only_when_listed() {
        assertTrue(AllowedOrigins.parse("null").allows("null"));
        assertFalse(AllowedOrigins.parse("https://app.example.com").allows("null"));
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
