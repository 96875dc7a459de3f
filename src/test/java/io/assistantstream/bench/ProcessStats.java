package io.assistantstream.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.stream.Stream;

/** CPU time and memory of processes, read from {@code /proc} (Linux). */
final class ProcessStats {
    /** Clock ticks per second of {@code /proc/PID/stat}; 100 on every Linux this runs on. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcessStats() {
    }

    /** User + system CPU time of a process so far, in microseconds (0 when it is gone). */
    static long cpuMicros(long pid) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
            return ticks * 1_000_000 / TICKS_PER_SECOND;
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /** A field of {@code /proc/PID/status} in kB (VmRSS, VmHWM), 0 when unknown. */
    static long statusKb(long pid, String field) {
        try {
            for (String line : Files.readAllLines(Path.of("/proc", Long.toString(pid), "status"))) {
                if (line.startsWith(field + ":")) {
                    return Long.parseLong(line.replaceAll("[^0-9]", ""));
                }
            }
        } catch (IOException | RuntimeException e) {
            // gone
        }
        return 0;
    }

    /** The first process whose command line contains every one of {@code parts}. */
    static OptionalLong find(String... parts) {
        try (Stream<Path> procs = Files.list(Path.of("/proc"))) {
            return procs.filter(p -> p.getFileName().toString().chars().allMatch(Character::isDigit))
                    .filter(p -> {
                        String cmd = commandLine(p);
                        for (String part : parts) {
                            if (!cmd.contains(part)) {
                                return false;
                            }
                        }
                        return true;
                    })
                    .mapToLong(p -> Long.parseLong(p.getFileName().toString()))
                    .findFirst();
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    private static String commandLine(Path proc) {
        try {
            return new String(Files.readAllBytes(proc.resolve("cmdline")), StandardCharsets.UTF_8).replace('\0', ' ');
        } catch (IOException e) {
            return "";
        }
    }

    /** CPU used by named processes over a window, as a share of one core (1.0 = one core busy). */
    static final class Window {
        private final Map<String, Long> pids;
        private final Map<String, Long> startCpu = new LinkedHashMap<>();
        private final long startNanos = System.nanoTime();

        Window(Map<String, Long> pids) {
            this.pids = pids;
            pids.forEach((name, pid) -> startCpu.put(name, ProcessStats.cpuMicros(pid)));
        }

        long cpuMicros(String name) {
            return ProcessStats.cpuMicros(pids.get(name)) - startCpu.get(name);
        }

        double seconds() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        Map<String, Double> shares() {
            double micros = seconds() * 1e6;
            Map<String, Double> shares = new LinkedHashMap<>();
            pids.keySet().forEach(name -> shares.put(name, Math.round(cpuMicros(name) / micros * 100) / 100.0));
            return shares;
        }
    }
}
