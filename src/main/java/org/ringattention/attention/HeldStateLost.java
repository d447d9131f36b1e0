package org.ringattention.attention;

/**
 * The device that held a {@link HeldState} failed (or was disabled) before the state could be used again:
 * what it held is gone and must be rebuilt from the copy the caller keeps on the host.
 */
public final class HeldStateLost extends RuntimeException {

    private static final long serialVersionUID = 1L;

    public HeldStateLost(String reason, Throwable cause) {
        super(reason, cause);
    }
}
