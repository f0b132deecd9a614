package dev.blip2serve.synthetic;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import tools.jackson.databind.json.JsonMapper;

/**
 * Where each tensor of one shard goes: the safetensors header (8-byte length, JSON padded with spaces to
 * a multiple of 8, as the reference writer does) and the data offsets, tensors sorted by name.
 * Computed without touching any data, so a test can check a 15 GB layout in milliseconds.
 */
public final class SafetensorsLayout {

    /** A tensor's place in the data section. */
    public record Entry(TensorSpec spec, long begin, long end) {
    }

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final List<Entry> entries;
    private final byte[] header;
    private final long dataBytes;

    private SafetensorsLayout(List<Entry> entries, byte[] header, long dataBytes) {
        this.entries = entries;
        this.header = header;
        this.dataBytes = dataBytes;
    }

    /** Lays out {@code tensors} (stored as {@code dtype}) with {@code metadata} in the header. */
    public static SafetensorsLayout of(List<TensorSpec> tensors, StorageType dtype, Map<String, String> metadata) {
        List<TensorSpec> sorted = new ArrayList<>(tensors);
        sorted.sort(Comparator.comparing(TensorSpec::name));
        Map<String, Object> json = new LinkedHashMap<>();
        if (!metadata.isEmpty()) {
            json.put("__metadata__", new LinkedHashMap<>(metadata));
        }
        List<Entry> entries = new ArrayList<>();
        long offset = 0;
        for (TensorSpec t : sorted) {
            long size = Math.multiplyExact(t.elementCount(), dtype.bytes());
            entries.add(new Entry(t, offset, offset + size));
            Map<String, Object> e = new LinkedHashMap<>();
            e.put("dtype", dtype.safetensorsName());
            e.put("shape", t.shape());
            e.put("data_offsets", new long[] {offset, offset + size});
            json.put(t.name(), e);
            offset += size;
        }
        StringBuilder text = new StringBuilder(JSON.writeValueAsString(json));
        while (text.length() % 8 != 0) { // JSON of ASCII names: chars == bytes
            text.append(' ');
        }
        return new SafetensorsLayout(List.copyOf(entries), text.toString().getBytes(StandardCharsets.UTF_8), offset);
    }

    public List<Entry> entries() {
        return entries;
    }

    /** The JSON header bytes (without the 8-byte length in front). */
    public byte[] header() {
        return header.clone();
    }

    public long dataBytes() {
        return dataBytes;
    }

    /** The whole file: length prefix, header, data. */
    public long fileBytes() {
        return 8 + header.length + dataBytes;
    }
}
