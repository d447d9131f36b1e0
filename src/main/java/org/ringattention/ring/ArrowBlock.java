package org.ringattention.ring;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.Serializable;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.Channels;
import java.util.ArrayList;
import java.util.List;
import org.apache.arrow.compression.CommonsCompressionFactory;
import org.apache.arrow.memory.ArrowBuf;
import org.apache.arrow.memory.BufferAllocator;
import org.apache.arrow.memory.RootAllocator;
import org.apache.arrow.vector.FieldVector;
import org.apache.arrow.vector.Float4Vector;
import org.apache.arrow.vector.IntVector;
import org.apache.arrow.vector.VectorSchemaRoot;
import org.apache.arrow.vector.complex.FixedSizeListVector;
import org.apache.arrow.vector.ipc.ArrowStreamReader;
import org.apache.arrow.vector.ipc.ArrowStreamWriter;
import org.apache.arrow.vector.ipc.message.IpcOption;
import org.apache.arrow.vector.types.FloatingPointPrecision;
import org.apache.arrow.vector.types.pojo.ArrowType;
import org.apache.arrow.vector.types.pojo.Field;
import org.apache.arrow.vector.types.pojo.FieldType;
import org.apache.arrow.vector.types.pojo.Schema;

/**
 * {@link TokenRows} as one Arrow IPC stream (one record batch): int32 columns {@code document},
 * {@code position}, {@code segment}, and each float column as {@code FixedSizeList<float32>[width]}.
 * The bytes are what Spark shuffles and caches, so a block crosses the wire as Arrow buffers rather
 * than a Java-serialized object graph; Java serialization of this class writes one byte array.
 *
 * <p>Arrow buffers are off-heap: each encode or decode works in a child of one per-JVM root allocator
 * and closes it, so a leaked buffer fails loudly instead of growing the executor's direct memory.
 */
public final class ArrowBlock implements Serializable {

    private static final long serialVersionUID = 1L;

    /** The one per-JVM (per-executor) Arrow root; children are opened and closed per block. */
    private static final BufferAllocator ROOT = new RootAllocator();

    private static final ArrowType INT32 = new ArrowType.Int(32, true);
    private static final ArrowType FLOAT32 = new ArrowType.FloatingPoint(FloatingPointPrecision.SINGLE);
    private static final String[] INT_COLUMNS = {"document", "position", "segment"};

    private final byte[] ipc;
    private final int rows;

    private ArrowBlock(byte[] ipc, int rows) {
        this.ipc = ipc;
        this.rows = rows;
    }

    /** Encoded size in bytes: what this block costs on the wire. */
    public int size() {
        return ipc.length;
    }

    public int rows() {
        return rows;
    }

    /** Encodes {@code data} as an Arrow IPC stream with the given buffer compression. */
    public static ArrowBlock encode(TokenRows data, WireCompression compression) {
        List<Field> fields = new ArrayList<>();
        for (String name : INT_COLUMNS) {
            fields.add(new Field(name, FieldType.notNullable(INT32), null));
        }
        for (TokenRows.FloatColumn c : data.columns()) {
            Field item = new Field("item", FieldType.notNullable(FLOAT32), null);
            fields.add(new Field(c.name(), FieldType.notNullable(new ArrowType.FixedSizeList(c.width())), List.of(item)));
        }
        int n = data.rows();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (BufferAllocator allocator = ROOT.newChildAllocator("encode", 0, Long.MAX_VALUE);
             VectorSchemaRoot root = VectorSchemaRoot.create(new Schema(fields), allocator)) {
            int[][] ints = {data.documents(), data.positions(), data.segments()};
            for (int i = 0; i < ints.length; i++) {
                IntVector vector = (IntVector) root.getVector(INT_COLUMNS[i]);
                vector.allocateNew(n);
                allValid(vector, n);
                view(vector.getDataBuffer(), 4L * n).asIntBuffer().put(ints[i]);
                vector.setValueCount(n);
            }
            for (TokenRows.FloatColumn c : data.columns()) {
                FixedSizeListVector list = (FixedSizeListVector) root.getVector(c.name());
                list.setInitialCapacity(n);
                list.allocateNew();
                allValid(list, n);
                Float4Vector values = (Float4Vector) list.getDataVector();
                int count = n * c.width();
                if (values.getValueCapacity() < count) {
                    values.allocateNew(count);
                }
                allValid(values, count);
                view(values.getDataBuffer(), 4L * count).asFloatBuffer().put(c.values());
                values.setValueCount(count);
                list.setValueCount(n);
            }
            root.setRowCount(n);
            // The codec's default level: Arrow 12 (Spark 3.5) has no constructor taking a level.
            try (ArrowStreamWriter writer = new ArrowStreamWriter(root, null, Channels.newChannel(bytes),
                    IpcOption.DEFAULT, compression.factory(), compression.codec)) {
                writer.start();
                writer.writeBatch();
                writer.end();
            }
        } catch (IOException e) {
            throw new UncheckedIOException("cannot encode a block of " + n + " rows as Arrow IPC", e);
        }
        return new ArrowBlock(bytes.toByteArray(), n);
    }

    /** Decodes the rows back onto the heap, bit for bit as encoded. */
    public TokenRows decode() {
        try (BufferAllocator allocator = ROOT.newChildAllocator("decode", 0, Long.MAX_VALUE);
             ArrowStreamReader reader = new ArrowStreamReader(new ByteArrayInputStream(ipc), allocator,
                     CommonsCompressionFactory.INSTANCE)) {
            if (!reader.loadNextBatch()) {
                throw new IllegalStateException("Arrow block holds no record batch");
            }
            VectorSchemaRoot root = reader.getVectorSchemaRoot();
            int n = root.getRowCount();
            int[][] ints = new int[INT_COLUMNS.length][n];
            for (int i = 0; i < INT_COLUMNS.length; i++) {
                IntVector vector = (IntVector) root.getVector(INT_COLUMNS[i]);
                view(vector.getDataBuffer(), 4L * n).asIntBuffer().get(ints[i]);
            }
            List<TokenRows.FloatColumn> columns = new ArrayList<>();
            for (FieldVector vector : root.getFieldVectors().subList(INT_COLUMNS.length, root.getFieldVectors().size())) {
                FixedSizeListVector list = (FixedSizeListVector) vector;
                float[] values = new float[n * list.getListSize()];
                view(((Float4Vector) list.getDataVector()).getDataBuffer(), 4L * values.length).asFloatBuffer().get(values);
                columns.add(new TokenRows.FloatColumn(list.getName(), list.getListSize(), values));
            }
            return new TokenRows(ints[0], ints[1], ints[2], columns);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot decode an Arrow block of " + ipc.length + " bytes", e);
        }
    }

    private static ByteBuffer view(ArrowBuf buffer, long bytes) {
        return buffer.nioBuffer(0, Math.toIntExact(bytes)).order(ByteOrder.LITTLE_ENDIAN);
    }

    /** Marks the first {@code n} slots valid: the columns are never null. */
    private static void allValid(FieldVector vector, int n) {
        if (n > 0) {
            vector.getValidityBuffer().setOne(0L, (n + 7) / 8L);
        }
    }
}
