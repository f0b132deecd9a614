package dev.blip2serve.onnx;

import com.google.protobuf.ByteString;
import dev.blip2serve.onnx.proto.Onnx;
import java.io.BufferedOutputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Serializes a {@link GraphBuilder} to an ONNX file.
 *
 * <p>Initializers larger than {@code externalThreshold} bytes go to one external data file next to the
 * model ({@code <model>.data}, 64-byte aligned offsets) and are streamed there one at a time; the rest
 * are inlined. Protobuf cannot hold more than 2 GB, so large models must use a small threshold.
 */
public final class OnnxModelWriter {

    /** ONNX IR version 10 (ONNX 1.16+, opset 21). */
    public static final long IR_VERSION = 10;
    private static final long ALIGN = 64;

    /** What was written. */
    public record Written(Path model, Path externalData, long modelBytes, long externalBytes) {
        public long totalBytes() {
            return modelBytes + externalBytes;
        }
    }

    /** Progress callback: bytes of initializer data written so far. */
    public interface Progress {
        void bytesWritten(long bytes);
    }

    private final long externalThreshold;
    private final Map<String, String> metadata;

    /**
     * @param externalThreshold initializers of more bytes than this go to external data; use
     *                          {@link Long#MAX_VALUE} to inline everything
     */
    public OnnxModelWriter(long externalThreshold, Map<String, String> metadata) {
        this.externalThreshold = externalThreshold;
        this.metadata = Map.copyOf(metadata);
    }

    public Written write(GraphBuilder graph, Path modelFile, Progress progress) throws IOException {
        Path dataFile = modelFile.resolveSibling(modelFile.getFileName() + ".data");
        Onnx.GraphProto.Builder gp = Onnx.GraphProto.newBuilder().setName(graph.name());
        long external = 0;
        long written = 0;
        OutputStream data = null;
        try {
            for (Map.Entry<String, TensorData> e : graph.initializers().entrySet()) {
                TensorData t = e.getValue();
                Onnx.TensorProto.Builder tp = Onnx.TensorProto.newBuilder()
                        .setName(e.getKey()).setDataType(t.type().code());
                for (long d : t.shape()) {
                    tp.addDims(d);
                }
                long size = t.byteSize();
                if (size > externalThreshold) {
                    if (data == null) {
                        data = new BufferedOutputStream(Files.newOutputStream(dataFile), 1 << 20);
                    }
                    long pad = (ALIGN - external % ALIGN) % ALIGN;
                    data.write(new byte[(int) pad]);
                    external += pad;
                    CountingStream counter = new CountingStream(data);
                    t.writeTo(counter);
                    if (counter.count != size) {
                        throw new IOException("initializer " + e.getKey() + " wrote " + counter.count + " bytes, expected " + size);
                    }
                    tp.setDataLocation(Onnx.TensorProto.DataLocation.EXTERNAL)
                            .addExternalData(entry("location", dataFile.getFileName().toString()))
                            .addExternalData(entry("offset", Long.toString(external)))
                            .addExternalData(entry("length", Long.toString(size)));
                    external += size;
                } else {
                    ByteArrayOutputStream buf = new ByteArrayOutputStream((int) size);
                    t.writeTo(buf);
                    tp.setRawData(ByteString.copyFrom(buf.toByteArray()));
                }
                gp.addInitializer(tp);
                written += size;
                if (progress != null) {
                    progress.bytesWritten(written);
                }
            }
        } finally {
            if (data != null) {
                data.close();
            }
        }
        if (external == 0) {
            Files.deleteIfExists(dataFile);
        }
        for (Node n : graph.nodes()) {
            gp.addNode(node(n));
        }
        graph.inputs().forEach(p -> gp.addInput(valueInfo(p)));
        graph.outputs().forEach(p -> gp.addOutput(valueInfo(p)));
        Onnx.ModelProto.Builder model = Onnx.ModelProto.newBuilder()
                .setIrVersion(IR_VERSION)
                .setProducerName("blip2-serve")
                .setProducerVersion(Version.current())
                .setGraph(gp)
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain("").setVersion(Ops.OPSET))
                .addOpsetImport(Onnx.OperatorSetIdProto.newBuilder().setDomain(Ops.MS_DOMAIN).setVersion(1));
        metadata.forEach((k, v) -> model.addMetadataProps(entry(k, v)));
        try (OutputStream out = new BufferedOutputStream(Files.newOutputStream(modelFile))) {
            model.build().writeTo(out);
        }
        return new Written(modelFile, external == 0 ? null : dataFile, Files.size(modelFile), external);
    }

    private static Onnx.StringStringEntryProto entry(String k, String v) {
        return Onnx.StringStringEntryProto.newBuilder().setKey(k).setValue(v).build();
    }

    private static Onnx.NodeProto node(Node n) throws IOException {
        Onnx.NodeProto.Builder b = Onnx.NodeProto.newBuilder()
                .setName(n.name()).setOpType(n.opType()).setDomain(n.domain())
                .addAllInput(n.inputs()).addAllOutput(n.outputs());
        for (Map.Entry<String, Object> a : n.attributes().entrySet()) {
            b.addAttribute(attribute(a.getKey(), a.getValue()));
        }
        return b.build();
    }

    private static Onnx.AttributeProto attribute(String name, Object v) throws IOException {
        Onnx.AttributeProto.Builder a = Onnx.AttributeProto.newBuilder().setName(name);
        switch (v) {
            case Long l -> a.setType(Onnx.AttributeProto.AttributeType.INT).setI(l);
            case Integer i -> a.setType(Onnx.AttributeProto.AttributeType.INT).setI(i);
            case Double d -> a.setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(d.floatValue());
            case Float f -> a.setType(Onnx.AttributeProto.AttributeType.FLOAT).setF(f);
            case String s -> a.setType(Onnx.AttributeProto.AttributeType.STRING).setS(ByteString.copyFromUtf8(s));
            case long[] ls -> {
                a.setType(Onnx.AttributeProto.AttributeType.INTS);
                for (long l : ls) {
                    a.addInts(l);
                }
            }
            case float[] fs -> {
                a.setType(Onnx.AttributeProto.AttributeType.FLOATS);
                for (float f : fs) {
                    a.addFloats(f);
                }
            }
            case TensorData t -> {
                ByteArrayOutputStream buf = new ByteArrayOutputStream();
                t.writeTo(buf);
                Onnx.TensorProto.Builder tp = Onnx.TensorProto.newBuilder().setDataType(t.type().code())
                        .setRawData(ByteString.copyFrom(buf.toByteArray()));
                for (long d : t.shape()) {
                    tp.addDims(d);
                }
                a.setType(Onnx.AttributeProto.AttributeType.TENSOR).setT(tp);
            }
            default -> throw new IllegalArgumentException("unsupported attribute type for " + name + ": " + v.getClass());
        }
        return a.build();
    }

    private static Onnx.ValueInfoProto valueInfo(GraphBuilder.Port p) {
        Onnx.TensorShapeProto.Builder shape = Onnx.TensorShapeProto.newBuilder();
        for (Dim d : p.dims()) {
            Onnx.TensorShapeProto.Dimension.Builder db = Onnx.TensorShapeProto.Dimension.newBuilder();
            switch (d) {
                case Dim.Fixed f -> db.setDimValue(f.size());
                case Dim.Symbolic s -> db.setDimParam(s.name());
            }
            shape.addDim(db);
        }
        return Onnx.ValueInfoProto.newBuilder().setName(p.name())
                .setType(Onnx.TypeProto.newBuilder().setTensorType(
                        Onnx.TypeProto.Tensor.newBuilder().setElemType(p.type().code()).setShape(shape)))
                .build();
    }

    private static final class CountingStream extends OutputStream {
        private final OutputStream out;
        private long count;

        CountingStream(OutputStream out) {
            this.out = out;
        }

        @Override
        public void write(int b) throws IOException {
            out.write(b);
            count++;
        }

        @Override
        public void write(byte[] b, int off, int len) throws IOException {
            out.write(b, off, len);
            count += len;
        }
    }
}
