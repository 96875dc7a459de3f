package io.assistantstream.testing;

import io.helidon.metrics.api.MetricsConfig;
import io.helidon.metrics.api.MetricsFactory;

import io.assistantstream.observe.Meters;

/** Meters in a registry of their own, for a test that builds a component alone: nothing shared with other tests. */
public final class TestMeters {
    private TestMeters() {
    }

    public static Meters fresh() {
        return new Meters(MetricsFactory.getInstance().createMeterRegistry(MetricsConfig.create()));
    }
}
