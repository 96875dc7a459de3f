package io.assistantstream.testing;

import io.helidon.metrics.api.MeterRegistry;
import io.helidon.service.registry.Services;

import io.assistantstream.observe.Meters;

/**
 * Meters for a test that builds a component alone. They live in the process's registry, as the
 * service's do (Helidon's metrics provider warns about every further registry): such a test asserts
 * no count, and a test that does reads deltas of its own service's {@code meters()}.
 */
public final class TestMeters {
    private TestMeters() {
    }

    public static Meters fresh() {
        return new Meters(Services.get(MeterRegistry.class));
    }
}
