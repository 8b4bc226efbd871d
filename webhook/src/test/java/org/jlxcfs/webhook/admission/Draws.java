package org.jlxcfs.webhook.admission;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * Uniform random draws for the property tests, all from one {@link SplittableRandom}: the same seed draws the same
 * values in the same order, so a trial replays from its seed alone.
 */
final class Draws {
    /** Draws for a unique list before giving up: the generator asked for more distinct keys than its values have. */
    private static final int UNIQUE_ATTEMPTS = 1_000;
    private final SplittableRandom random;

    Draws(long seed) {
        random = new SplittableRandom(seed);
    }

    /** An integer in [min, max], both included. */
    int between(int min, int max) {
        return random.nextInt(min, max + 1);
    }

    boolean bool() {
        return random.nextBoolean();
    }

    <T> T oneOf(List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    /** A list of min to max elements (size uniform), each drawn by {@code element}. */
    <T> List<T> list(int min, int max, Supplier<T> element) {
        int size = between(min, max);
        List<T> list = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            list.add(element.get());
        }
        return list;
    }

    /** Like {@link #list}, but no two elements share a key: a drawn element whose key is taken is drawn again. */
    <T, K> List<T> uniqueList(int min, int max, Supplier<T> element, Function<T, K> key) {
        int size = between(min, max);
        List<T> list = new ArrayList<>(size);
        Set<K> keys = new HashSet<>();
        for (int attempt = 0; list.size() < size; attempt++) {
            if (attempt == UNIQUE_ATTEMPTS) {
                throw new IllegalStateException("no " + size + " elements with distinct keys in " + attempt
                        + " draws; got " + keys);
            }
            T candidate = element.get();
            if (keys.add(key.apply(candidate))) {
                list.add(candidate);
            }
        }
        return list;
    }
}
