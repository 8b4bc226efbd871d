package org.jlxcfs.webhook.admission;

import org.junit.jupiter.api.DynamicTest;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import java.util.function.Function;
import java.util.stream.Stream;

/**
 * A property checked over random samples: one dynamic test per trial, each trial drawing its sample from its own seed.
 * A failed trial names its seed and shows its sample; {@code -Djlxcfs.seed=N} runs that one trial again. No shrinking:
 * the samples are small enough to read.
 */
final class PropertyTrials {
    static final String SEED_PROPERTY = "jlxcfs.seed";

    private PropertyTrials() {}

    /**
     * {@code trials} tests (or the one of {@code -Djlxcfs.seed}) that each draw a sample with {@code generator} and
     * check it with {@code property}; {@code shown} renders the sample (the JSON sent) for the failure message.
     */
    static <T> Stream<DynamicTest> check(int trials, Function<Draws, T> generator, Function<T, String> shown,
                                         Consumer<T> property) {
        long[] seeds = seeds(trials);
        List<DynamicTest> tests = new ArrayList<>(seeds.length);
        for (int i = 0; i < seeds.length; i++) {
            long seed = seeds[i];
            String trial = "trial " + (i + 1) + " of " + seeds.length + ", seed " + seed;
            tests.add(DynamicTest.dynamicTest(trial, () -> run(trial, seed, generator, shown, property)));
        }
        return tests.stream();
    }

    private static <T> void run(String trial, long seed, Function<Draws, T> generator, Function<T, String> shown,
                                Consumer<T> property) {
        T sample;
        String rendered;
        try {
            sample = generator.apply(new Draws(seed));
            // rendered before the check, which may change the sample
            rendered = shown.apply(sample);
        } catch (RuntimeException | Error e) {
            throw new AssertionError(trial + ": the generator failed; replay with -D" + SEED_PROPERTY + "=" + seed, e);
        }
        try {
            property.accept(sample);
        } catch (RuntimeException | Error e) {
            throw new AssertionError(trial + " failed; replay with -D" + SEED_PROPERTY + "=" + seed + "\nsample: "
                    + rendered + "\nfailure: " + e, e);
        }
    }

    /** The replayed seed alone, or {@code trials} seeds new at every run: each run tries other shapes. */
    private static long[] seeds(int trials) {
        String replay = System.getProperty(SEED_PROPERTY);
        if (replay == null || replay.isBlank()) {
            return new SplittableRandom().longs(trials).toArray();
        }
        try {
            return new long[]{Long.parseLong(replay.strip())};
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("-D" + SEED_PROPERTY + "=" + replay
                    + " is not a seed: give the number a failed trial reported", e);
        }
    }
}
