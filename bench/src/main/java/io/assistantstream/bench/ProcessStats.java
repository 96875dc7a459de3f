package io.assistantstream.bench;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.function.LongUnaryOperator;
import java.util.stream.Stream;

/** CPU time and memory of processes, read from {@code /proc} (Linux). */
final class ProcessStats {
    /** Clock ticks per second of {@code /proc/PID/stat}; 100 on every Linux this runs on. */
    private static final long TICKS_PER_SECOND = 100;

    private ProcessStats() {
    }

    /** User + system CPU time of a process so far, in microseconds (0 when it is gone). */
    static long cpuMicros(long pid) {
        return ticks(pid, true, true) * 1_000_000 / TICKS_PER_SECOND;
    }

    /**
     * CPU time of the JIT compiler threads of a JVM so far, in microseconds. Reported apart: a JVM
     * that has run for minutes is compiled, and until then the compilers would swamp a per-frame cost.
     */
    static long compilerMicros(long pid) {
        long ticks = 0;
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                String stat = Files.readString(task.resolve("stat"));
                String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                if (name.contains("CompilerThre")) {
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    ticks += Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                }
            }
        } catch (IOException | RuntimeException e) {
            // the process or a thread went away; what was read is the best there is
        }
        return ticks * 1_000_000 / TICKS_PER_SECOND;
    }

    /**
     * CPU time (user + system) of each live thread of a process so far, in microseconds, by
     * {@code "name/tid"}; threads that ended are not in it.
     */
    static Map<String, Long> threadMicros(long pid) {
        Map<String, Long> threads = new LinkedHashMap<>();
        try (Stream<Path> tasks = Files.list(Path.of("/proc", Long.toString(pid), "task"))) {
            for (Path task : tasks.toList()) {
                try {
                    String stat = Files.readString(task.resolve("stat"));
                    String name = stat.substring(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
                    String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
                    long ticks = Long.parseLong(fields[11]) + Long.parseLong(fields[12]);
                    threads.put(name + "/" + task.getFileName(), ticks * 1_000_000 / TICKS_PER_SECOND);
                } catch (IOException | RuntimeException e) {
                    // this thread ended meanwhile
                }
            }
        } catch (IOException e) {
            // the process is gone
        }
        return threads;
    }

    /** System (kernel) CPU time of a process so far, in microseconds. */
    static long systemMicros(long pid) {
        return ticks(pid, false, true) * 1_000_000 / TICKS_PER_SECOND;
    }

    private static long ticks(long pid, boolean user, boolean system) {
        try {
            String stat = Files.readString(Path.of("/proc", Long.toString(pid), "stat"));
            String[] fields = stat.substring(stat.lastIndexOf(')') + 2).split(" ");
            return (user ? Long.parseLong(fields[11]) : 0) + (system ? Long.parseLong(fields[12]) : 0);
        } catch (IOException | RuntimeException e) {
            return 0;
        }
    }

    /**
     * CPU time the whole machine spent busy so far (all cores: user, nice, system, irq, softirq,
     * steal), in microseconds.
     */
    static long machineBusyMicros() {
        try {
            String[] fields = Files.readAllLines(Path.of("/proc/stat")).getFirst().trim().split("\\s+");
            long ticks = 0;
            for (int i : new int[] {1, 2, 3, 6, 7, 8}) {
                ticks += Long.parseLong(fields[i]);
            }
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

    /**
     * CPU used by named processes over a window, as a share of one core (1.0 = one core busy); a name
     * may stand for several processes (a cluster's masters), whose CPU is added up. The shares also
     * name {@code other}: what the rest of the machine used meanwhile (the kernel's own threads, and
     * whatever else runs here, which a figure taken beside it should be read with).
     */
    static final class Window {
        private final Map<String, List<Long>> pids;
        private final Map<String, Long> startCpu = new LinkedHashMap<>();
        private final Map<String, Long> startSystem = new LinkedHashMap<>();
        private final Map<String, Long> startCompiler = new LinkedHashMap<>();
        private final long startNanos = System.nanoTime();
        private final long startMachine = machineBusyMicros();

        Window(Map<String, List<Long>> pids) {
            this.pids = pids;
            pids.keySet().forEach(name -> {
                startCpu.put(name, sum(name, ProcessStats::cpuMicros));
                startSystem.put(name, sum(name, ProcessStats::systemMicros));
                startCompiler.put(name, sum(name, ProcessStats::compilerMicros));
            });
        }

        private long sum(String name, LongUnaryOperator of) {
            return pids.get(name).stream().mapToLong(of::applyAsLong).sum();
        }

        long cpuMicros(String name) {
            return sum(name, ProcessStats::cpuMicros) - startCpu.get(name);
        }

        /** CPU time of every process named here, in the window. */
        long cpuMicros() {
            return pids.keySet().stream().mapToLong(this::cpuMicros).sum();
        }

        /** CPU time of the named processes whose name starts with {@code prefix} ({@code "redis"}). */
        long cpuMicrosOf(String prefix) {
            return pids.keySet().stream().filter(name -> name.startsWith(prefix)).mapToLong(this::cpuMicros).sum();
        }

        /** CPU time of a JVM's compiler threads in the window. */
        long compilerMicros(String name) {
            return sum(name, ProcessStats::compilerMicros) - startCompiler.get(name);
        }

        /** The part of a process's CPU time spent in the kernel (system calls, scheduling). */
        double systemFraction(String name) {
            long cpu = cpuMicros(name);
            return cpu == 0 ? 0 : Math.round((sum(name, ProcessStats::systemMicros) - startSystem.get(name))
                    * 100.0 / cpu) / 100.0;
        }

        double seconds() {
            return (System.nanoTime() - startNanos) / 1e9;
        }

        Map<String, Double> shares() {
            double micros = seconds() * 1e6;
            Map<String, Double> shares = new LinkedHashMap<>();
            pids.keySet().forEach(name -> shares.put(name, Math.round(cpuMicros(name) / micros * 100) / 100.0));
            long other = machineBusyMicros() - startMachine - cpuMicros();
            shares.put("other", Math.round(Math.max(0, other) / micros * 100) / 100.0);
            return shares;
        }
    }
}
