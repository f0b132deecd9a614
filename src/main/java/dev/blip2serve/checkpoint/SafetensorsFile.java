package dev.blip2serve.checkpoint;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * One memory-mapped safetensors file.
 *
 * <p>Layout: 8-byte little-endian header length {@code n}, {@code n} bytes of JSON
 * ({@code name -> {dtype, shape, data_offsets}} plus optional {@code __metadata__}), then the data.
 * Everything in the header is checked before any tensor is read, so a hostile file fails with a
 * {@link CheckpointException} naming the problem instead of an out-of-bounds read or a huge allocation.
 * The whole file is mapped (files over 2 GB included); tensors are slices of that mapping.
 */
public final class SafetensorsFile implements AutoCloseable {

    /** Real headers are well under 1 MB (a 7B model: ~100 KB); anything near this is hostile. */
    public static final long MAX_HEADER_BYTES = 64L << 20;

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final Path path;
    private final Arena arena;
    private final MemorySegment data;
    private final Map<String, TensorInfo> tensors;
    private final Map<String, String> metadata;

    private SafetensorsFile(Path path, Arena arena, MemorySegment data,
                            Map<String, TensorInfo> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.data = data;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /** Opens, validates and maps {@code path}. */
    public static SafetensorsFile open(Path path) {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < 8) {
                throw new CheckpointException(path, "not a safetensors file: " + size + " bytes, shorter than the 8-byte header length");
            }
            ByteBuffer len = ByteBuffer.allocate(8).order(ByteOrder.LITTLE_ENDIAN);
            readFully(ch, len, 0, path);
            long headerLen = len.getLong(0);
            if (headerLen >= 0 && headerLen < 2) {
                throw new CheckpointException(path, "header length " + headerLen + " is too short for a JSON header");
            }
            if (headerLen < 0 || headerLen > size - 8) {
                throw new CheckpointException(path, "header length " + Long.toUnsignedString(headerLen)
                        + " runs past the end of the file (" + size + " bytes): truncated or not a safetensors file");
            }
            if (headerLen > MAX_HEADER_BYTES) {
                throw new CheckpointException(path, "header of " + headerLen + " bytes exceeds the "
                        + (MAX_HEADER_BYTES >> 20) + " MB limit");
            }
            ByteBuffer header = ByteBuffer.allocate((int) headerLen);
            readFully(ch, header, 8, path);
            long dataStart = 8 + headerLen;
            long dataLen = size - dataStart;
            Parsed parsed = parseHeader(path, new String(header.array(), StandardCharsets.UTF_8), dataLen);
            Arena arena = Arena.ofShared();
            MemorySegment mapped;
            try {
                mapped = dataLen == 0 ? MemorySegment.NULL
                        : ch.map(FileChannel.MapMode.READ_ONLY, dataStart, dataLen, arena);
            } catch (IOException | RuntimeException e) {
                arena.close();
                throw e;
            }
            return new SafetensorsFile(path, arena, mapped, parsed.tensors, parsed.metadata);
        } catch (NoSuchFileException e) {
            throw new CheckpointException(path, "file not found");
        } catch (IOException e) {
            throw new CheckpointException(path, "cannot read: " + e.getMessage(), e);
        }
    }

    private record Parsed(Map<String, TensorInfo> tensors, Map<String, String> metadata) {
    }

    private static Parsed parseHeader(Path path, String text, long dataLen) {
        JsonNode root;
        try {
            root = JSON.readTree(text);
        } catch (JacksonException e) {
            throw new CheckpointException(path, "header is not valid JSON: " + e.getOriginalMessage());
        }
        if (root == null || !root.isObject()) {
            throw new CheckpointException(path, "header is not a JSON object");
        }
        Map<String, TensorInfo> tensors = new LinkedHashMap<>();
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : root.properties()) {
            String name = e.getKey();
            JsonNode node = e.getValue();
            if (name.equals("__metadata__")) {
                if (node.isObject()) {
                    // The format says string -> string; keep any other value as its JSON text rather than fail.
                    node.properties().forEach(m -> metadata.put(m.getKey(),
                            m.getValue().isString() ? m.getValue().asString() : m.getValue().toString()));
                }
                continue;
            }
            tensors.put(name, parseTensor(path, name, node, dataLen));
        }
        checkNoOverlap(path, tensors);
        return new Parsed(Collections.unmodifiableMap(tensors), Collections.unmodifiableMap(metadata));
    }

    private static TensorInfo parseTensor(Path path, String name, JsonNode node, long dataLen) {
        if (!node.isObject()) {
            throw new CheckpointException(path, "tensor '" + name + "': entry is not an object");
        }
        JsonNode dtypeNode = node.get("dtype");
        if (dtypeNode == null || !dtypeNode.isString()) {
            throw new CheckpointException(path, "tensor '" + name + "': missing dtype");
        }
        DType dtype = DType.fromSafetensorsName(dtypeNode.asString()).orElseThrow(() ->
                new CheckpointException(path, "tensor '" + name + "': unknown dtype '" + dtypeNode.asString() + "'"));
        JsonNode shapeNode = node.get("shape");
        if (shapeNode == null || !shapeNode.isArray()) {
            throw new CheckpointException(path, "tensor '" + name + "': missing shape");
        }
        long[] shape = new long[shapeNode.size()];
        long elements = 1;
        for (int i = 0; i < shape.length; i++) {
            JsonNode d = shapeNode.get(i);
            if (!d.isIntegralNumber() || !d.canConvertToLong() || d.asLong() < 0) {
                throw new CheckpointException(path, "tensor '" + name + "': shape " + shapeNode + " is not a list of non-negative integers");
            }
            shape[i] = d.asLong();
            try {
                elements = Math.multiplyExact(elements, shape[i]);
            } catch (ArithmeticException overflow) {
                throw new CheckpointException(path, "tensor '" + name + "': shape " + shapeNode + " overflows");
            }
        }
        JsonNode off = node.get("data_offsets");
        if (off == null || !off.isArray() || off.size() != 2 || !off.get(0).isIntegralNumber() || !off.get(1).isIntegralNumber()
                || !off.get(0).canConvertToLong() || !off.get(1).canConvertToLong()) {
            throw new CheckpointException(path, "tensor '" + name + "': data_offsets must be [begin, end]");
        }
        long begin = off.get(0).asLong();
        long end = off.get(1).asLong();
        if (begin < 0 || end < begin || end > dataLen) {
            throw new CheckpointException(path, "tensor '" + name + "': data_offsets [" + begin + ", " + end
                    + "] out of range (data section is " + dataLen + " bytes)");
        }
        long expected;
        try {
            expected = Math.multiplyExact(elements, dtype.bytes());
        } catch (ArithmeticException overflow) {
            throw new CheckpointException(path, "tensor '" + name + "': shape " + shapeNode + " overflows");
        }
        if (end - begin != expected) {
            throw new CheckpointException(path, "tensor '" + name + "': shape " + shapeNode + " of " + dtype
                    + " needs " + expected + " bytes but data_offsets span " + (end - begin));
        }
        return new TensorInfo(name, dtype, shape, begin, end);
    }

    private static void checkNoOverlap(Path path, Map<String, TensorInfo> tensors) {
        List<TensorInfo> sorted = new ArrayList<>(tensors.values());
        sorted.sort(Comparator.comparingLong(TensorInfo::begin).thenComparingLong(TensorInfo::end));
        TensorInfo prev = null;
        for (TensorInfo t : sorted) {
            if (prev != null && t.begin() < prev.end() && t.byteCount() > 0) {
                throw new CheckpointException(path, "tensors '" + prev.name() + "' and '" + t.name() + "' overlap");
            }
            if (t.byteCount() > 0) {
                prev = t;
            }
        }
    }

    private static void readFully(FileChannel ch, ByteBuffer buf, long position, Path path) throws IOException {
        long pos = position;
        while (buf.hasRemaining()) {
            int n = ch.read(buf, pos);
            if (n < 0) {
                throw new CheckpointException(path, "unexpected end of file");
            }
            pos += n;
        }
    }

    public Path path() {
        return path;
    }

    /** Tensor entries in header order. */
    public Map<String, TensorInfo> tensors() {
        return tensors;
    }

    /** The optional {@code __metadata__} strings. */
    public Map<String, String> metadata() {
        return metadata;
    }

    /** The raw little-endian bytes of one tensor, as a slice of the mapping (valid until {@link #close()}). */
    public MemorySegment bytes(TensorInfo t) {
        return data.asSlice(t.begin(), t.byteCount());
    }

    /**
     * Reads a floating-point tensor into a new float32 array (F16 and BF16 widened exactly). The tensor's
     * pages are then dropped from this process's resident set ({@code madvise(MADV_DONTNEED)}; they stay in
     * the page cache): reading a 15 GB checkpoint once would otherwise leave all of it counted as resident.
     */
    public float[] readFloats(TensorInfo t) {
        MemorySegment bytes = bytes(t);
        float[] out = TensorReader.toFloats(path, t, bytes);
        if (bytes.isMapped() && bytes.byteSize() > 0) {
            bytes.unload();
        }
        return out;
    }

    /** Shorthand for {@link #readFloats(TensorInfo)} by name. */
    public float[] readFloats(String name) {
        TensorInfo t = tensors.get(name);
        if (t == null) {
            throw new CheckpointException(path, "no tensor named '" + name + "'");
        }
        return readFloats(t);
    }

    @Override
    public void close() {
        arena.close();
    }

}
