package org.ringattention.testing;

import java.io.IOException;
import java.net.URI;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.hadoop.fs.FSDataOutputStream;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RawLocalFileSystem;
import org.apache.hadoop.fs.permission.FsPermission;
import org.apache.hadoop.util.Progressable;

/**
 * The local file system under the scheme {@code faulty:} (register it with
 * {@code spark.hadoop.fs.faulty.impl}), counting every change it makes (create, mkdirs, rename, delete)
 * and failing the one numbered by {@link #failAt}, so a test can fail each step of a protocol in turn.
 */
public final class FaultyFileSystem extends RawLocalFileSystem {

    private static final AtomicInteger CHANGES = new AtomicInteger();
    private static volatile int failAt;

    /** Fails the {@code n}-th change from now (0: none) and resets the count. */
    public static void failAt(int n) {
        CHANGES.set(0);
        failAt = n;
    }

    /** Changes made since the last {@link #failAt}. */
    public static int changes() {
        return CHANGES.get();
    }

    @Override
    public URI getUri() {
        return URI.create("faulty:///");
    }

    @Override
    public String getScheme() {
        return "faulty";
    }

    private void change(String what, Path path) throws IOException {
        if (CHANGES.incrementAndGet() == failAt) {
            throw new IOException("injected failure of change " + failAt + ": " + what + " " + path);
        }
    }

    @Override
    public FSDataOutputStream create(Path f, FsPermission permission, boolean overwrite, int bufferSize,
                                     short replication, long blockSize, Progressable progress) throws IOException {
        change("create", f);
        return super.create(f, permission, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public FSDataOutputStream create(Path f, boolean overwrite, int bufferSize, short replication, long blockSize,
                                     Progressable progress) throws IOException {
        change("create", f);
        return super.create(f, overwrite, bufferSize, replication, blockSize, progress);
    }

    @Override
    public boolean mkdirs(Path f) throws IOException {
        change("mkdirs", f);
        return super.mkdirs(f);
    }

    @Override
    public boolean mkdirs(Path f, FsPermission permission) throws IOException {
        change("mkdirs", f);
        return super.mkdirs(f, permission);
    }

    @Override
    public boolean rename(Path src, Path dst) throws IOException {
        change("rename", src);
        return super.rename(src, dst);
    }

    @Override
    public boolean delete(Path p, boolean recursive) throws IOException {
        change("delete", p);
        return super.delete(p, recursive);
    }
}
