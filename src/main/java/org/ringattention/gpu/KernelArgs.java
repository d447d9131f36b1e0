package org.ringattention.gpu;

import java.util.ArrayList;
import java.util.List;

/**
 * The arguments of one kernel launch, in the kernel's parameter order and with each one's C type: a device
 * pointer, an {@code int}, a {@code long long}, a {@code float}, or a struct passed by value (the attention
 * kernels' {@code AttnParams}, {@link KernelParams}). {@link JCudaApi} turns them into the pointer array
 * {@code cuLaunchKernel} takes; a device that computes on the CPU reads them back by index.
 */
public final class KernelArgs {

    /** The C type of one argument. */
    public enum Type { POINTER, INT, LONG, FLOAT, STRUCT }

    /** One argument: its type, and its bits (a float's raw bits) or, for a struct, its bytes. */
    public record Arg(Type type, long bits, byte[] struct) {
    }

    private final List<Arg> args = new ArrayList<>();

    public KernelArgs pointer(long address) {
        args.add(new Arg(Type.POINTER, address, null));
        return this;
    }

    public KernelArgs i32(int value) {
        args.add(new Arg(Type.INT, value, null));
        return this;
    }

    public KernelArgs i64(long value) {
        args.add(new Arg(Type.LONG, value, null));
        return this;
    }

    public KernelArgs f32(float value) {
        args.add(new Arg(Type.FLOAT, Float.floatToRawIntBits(value), null));
        return this;
    }

    public KernelArgs struct(byte[] bytes) {
        args.add(new Arg(Type.STRUCT, 0, bytes.clone()));
        return this;
    }

    /** Every argument, in order. */
    public List<Arg> all() {
        return List.copyOf(args);
    }

    /** Argument {@code i}, which must be a pointer. */
    public long pointerAt(int i) {
        return typed(i, Type.POINTER).bits();
    }

    public int i32At(int i) {
        return (int) typed(i, Type.INT).bits();
    }

    public long i64At(int i) {
        return typed(i, Type.LONG).bits();
    }

    public float f32At(int i) {
        return Float.intBitsToFloat((int) typed(i, Type.FLOAT).bits());
    }

    public byte[] structAt(int i) {
        return typed(i, Type.STRUCT).struct().clone();
    }

    private Arg typed(int i, Type type) {
        Arg a = args.get(i);
        if (a.type() != type) {
            throw new IllegalArgumentException("argument " + i + " is a " + a.type() + ", not a " + type);
        }
        return a;
    }
}
