package org.ringattention.cli;

import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.ringattention.io.BadInputException;

/** {@code --name value} options and {@code --flag}s of a command line, checked against what a command accepts. */
final class Args {

    private final Map<String, String> values = new HashMap<>();
    private final Set<String> flags = new HashSet<>();

    private Args() {
    }

    /** Parses {@code argv}; any option not in {@code valued} or {@code flagNames} is refused. */
    static Args parse(String[] argv, List<String> valued, List<String> flagNames) {
        Args a = new Args();
        for (int i = 0; i < argv.length; i++) {
            String name = argv[i];
            if (flagNames.contains(name)) {
                a.flags.add(name);
            } else if (valued.contains(name)) {
                if (i + 1 >= argv.length) {
                    throw new BadInputException(name + " needs a value");
                }
                a.values.put(name, argv[++i]);
            } else {
                throw new BadInputException("unknown option '" + name + "'; see --help");
            }
        }
        return a;
    }

    boolean flag(String name) {
        return flags.contains(name);
    }

    String get(String name) {
        return values.get(name);
    }

    String required(String name) {
        String v = values.get(name);
        if (v == null) {
            throw new BadInputException(name + " is required; see --help");
        }
        return v;
    }

    int requiredInt(String name, int min) {
        required(name);
        return intValue(name, 0, min);
    }

    int intValue(String name, int fallback, int min) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            int n = Integer.parseInt(v);
            if (n < min) {
                throw new BadInputException(name + " must be at least " + min + ", got " + n);
            }
            return n;
        } catch (NumberFormatException e) {
            throw new BadInputException(name + " must be an integer, got '" + v + "'");
        }
    }

    /** A whole number that may exceed an int, or a refusal naming the option. */
    long longValue(String name) {
        String v = required(name);
        try {
            return Long.parseLong(v);
        } catch (NumberFormatException e) {
            throw new BadInputException(name + " must be an integer, got '" + v + "'");
        }
    }

    double doubleValue(String name, double fallback) {
        String v = values.get(name);
        if (v == null) {
            return fallback;
        }
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException e) {
            throw new BadInputException(name + " must be a number, got '" + v + "'");
        }
    }

    /** A positive finite number, or {@code null} when absent. */
    Float positiveFloat(String name) {
        String v = values.get(name);
        if (v == null) {
            return null;
        }
        try {
            float x = Float.parseFloat(v);
            if (!(x > 0f) || Float.isInfinite(x)) {
                throw new BadInputException(name + " must be a positive finite number, got " + v);
            }
            return x;
        } catch (NumberFormatException e) {
            throw new BadInputException(name + " must be a number, got '" + v + "'");
        }
    }
}
