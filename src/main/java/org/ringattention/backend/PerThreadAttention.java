package org.ringattention.backend;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Consumer;
import org.ringattention.attention.AttentionSpec;
import org.ringattention.attention.KeysValues;
import org.ringattention.attention.Queries;
import org.ringattention.encoder.SequenceAttention;

/**
 * The encoder's attention when several threads embed at once ({@code SentenceEmbedder.embed} with
 * threads): each thread gets its own single-threaded {@link Backend} on first use (a GPU backend owns
 * streams and buffers and is not thread-safe), and each distinct message of the factory is reported once.
 */
public final class PerThreadAttention implements SequenceAttention, AutoCloseable {

    private final Device device;
    private final int blockSize;
    private final Consumer<String> log;
    private final Set<String> reported = new HashSet<>();
    private final List<Backend> opened = new ArrayList<>();
    private final ThreadLocal<Backend> backend = ThreadLocal.withInitial(this::open);

    public PerThreadAttention(Device device, int blockSize, Consumer<String> log) {
        this.device = device;
        this.blockSize = blockSize;
        this.log = log;
    }

    private Backend open() {
        Backend b = BackendFactory.open(device, blockSize, 1, this::reportOnce);
        synchronized (opened) {
            opened.add(b);
        }
        return b;
    }

    private void reportOnce(String message) {
        synchronized (reported) {
            if (reported.add(message)) {
                log.accept(message);
            }
        }
    }

    @Override
    public float[] attend(int layer, AttentionSpec spec, Queries queries, KeysValues keysValues) {
        return backend.get().attention().attend(spec, queries, keysValues).out();
    }

    @Override
    public void close() {
        synchronized (opened) {
            opened.forEach(Backend::close);
            opened.clear();
        }
    }
}
