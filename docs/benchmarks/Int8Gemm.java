// ONNX Runtime's CPU MatMulInteger with uint8 activations (zero point 128) against int8 weights (u8 x s8, what the
// W8A8 variants used before) and against the same weights as uint8 + 128 (u8 x u8, what they use now), next to an
// fp32 MatMul of the same shape: time per run on one intra-op thread and the largest error against the exact
// integer product. Single-file program, run against the project's classes:
//   java --enable-native-access=ALL-UNNAMED -cp target/classes:$(cat cp.txt) docs/benchmarks/Int8Gemm.java \
//        [M=64] [K=2048] [N=2048] [ROUNDS=15]
// Prints one JSON object. Used for docs/QUANTIZATION.md ("How the linears compute").

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.blip2serve.onnx.Dim;
import dev.blip2serve.onnx.ElementType;
import dev.blip2serve.onnx.GraphBuilder;
import dev.blip2serve.onnx.OnnxModelWriter;
import dev.blip2serve.onnx.Tensors;
import dev.blip2serve.onnx.Value;
import java.nio.ByteBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

public class Int8Gemm {

    public static void main(String[] args) throws Exception {
        int m = args.length > 0 ? Integer.parseInt(args[0]) : 64;
        int k = args.length > 1 ? Integer.parseInt(args[1]) : 2048;
        int n = args.length > 2 ? Integer.parseInt(args[2]) : 2048;
        int rounds = args.length > 3 ? Integer.parseInt(args[3]) : 15;
        Random rnd = new Random(1);
        byte[] a = new byte[m * k];   // uint8 activations, int8 code + 128: a per-token scale puts them all over 1..255
        byte[] w = new byte[k * n];   // int8 weights, -127..127
        for (int i = 0; i < a.length; i++) {
            a[i] = (byte) (128 + (int) Math.round(Math.max(-127, Math.min(127, rnd.nextGaussian() * 50))));
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (byte) Math.round(Math.max(-127, Math.min(127, rnd.nextGaussian() * 50)));
        }
        byte[] wu = w.clone();
        for (int i = 0; i < wu.length; i++) {
            wu[i] = (byte) (wu[i] ^ 0x80);
        }
        long[] exact = new long[m * n];
        for (int r = 0; r < m; r++) {
            for (int t = 0; t < k; t++) {
                int av = (a[r * k + t] & 0xff) - 128;
                for (int c = 0; c < n; c++) {
                    exact[r * n + c] += (long) av * w[t * n + c];
                }
            }
        }
        float[] af = new float[m * k];
        for (int i = 0; i < af.length; i++) {
            af[i] = (a[i] & 0xff) - 128;
        }
        OrtEnvironment env = OrtEnvironment.getEnvironment();
        Map<String, OrtSession> sessions = new LinkedHashMap<>();
        sessions.put("u8s8", integer(env, ElementType.INT8, w, false, k, n));
        sessions.put("u8u8", integer(env, ElementType.UINT8, wu, true, k, n));
        sessions.put("fp32", floatMatMul(env, w, k, n));
        Map<String, double[]> times = new LinkedHashMap<>();
        Map<String, Long> errors = new LinkedHashMap<>();
        for (int round = -3; round < rounds; round++) {
            for (var e : sessions.entrySet()) {
                boolean isFloat = e.getKey().equals("fp32");
                try (OnnxTensor in = isFloat
                        ? OnnxTensor.createTensor(env, FloatBuffer.wrap(af), new long[] {m, k})
                        : OnnxTensor.createTensor(env, ByteBuffer.wrap(a), new long[] {m, k}, ai.onnxruntime.OnnxJavaType.UINT8)) {
                    long t0 = System.nanoTime();
                    try (OrtSession.Result r = e.getValue().run(Map.of("a", in))) {
                        long dt = System.nanoTime() - t0;
                        if (round >= 0) {
                            times.computeIfAbsent(e.getKey(), x -> new double[rounds])[round] = dt / 1e6;
                        }
                        OnnxTensor y = (OnnxTensor) r.get(0);
                        long worst = 0;
                        if (isFloat) {
                            FloatBuffer b = y.getFloatBuffer();
                            for (int i = 0; i < exact.length; i++) {
                                worst = Math.max(worst, Math.abs((long) b.get(i) - exact[i]));
                            }
                        } else {
                            IntBuffer b = y.getIntBuffer();
                            for (int i = 0; i < exact.length; i++) {
                                worst = Math.max(worst, Math.abs(b.get(i) - exact[i]));
                            }
                        }
                        errors.put(e.getKey(), worst);
                    }
                }
            }
        }
        long maxAbs = Arrays.stream(exact).map(Math::abs).max().orElse(1);
        StringBuilder json = new StringBuilder("{\"m\": " + m + ", \"k\": " + k + ", \"n\": " + n + ", \"rounds\": "
                + rounds + ", \"threads\": 1, \"max_abs_exact\": " + maxAbs + ", \"cpu_flags\": \"" + flags() + "\"");
        for (var e : times.entrySet()) {
            double[] t = e.getValue().clone();
            Arrays.sort(t);
            json.append(String.format(", \"%s\": {\"median_ms\": %.3f, \"min_ms\": %.3f, \"max_abs_error\": %d}",
                    e.getKey(), t[t.length / 2], t[0], errors.get(e.getKey())));
        }
        System.out.println(json.append('}'));
    }

    static String flags() throws Exception {
        return Files.readAllLines(Path.of("/proc/cpuinfo")).stream().filter(l -> l.startsWith("flags")).findFirst()
                .map(l -> Arrays.stream(l.split(" ")).filter(f -> f.startsWith("avx") || f.contains("vnni"))
                        .distinct().reduce((x, y) -> x + " " + y).orElse("")).orElse("");
    }

    static OrtSession integer(OrtEnvironment env, ElementType wType, byte[] w, boolean zp, int k, int n)
            throws Exception {
        GraphBuilder g = new GraphBuilder("gemm");
        Value a = g.input("a", ElementType.UINT8, Dim.of("m"), Dim.of(k));
        Value b = g.initializer("w", Tensors.raw(wType, new long[] {k, n}, () -> w));
        Value azp = g.initializer("azp", Tensors.raw(ElementType.UINT8, new long[0], () -> new byte[] {(byte) 128}));
        List<Value> in = zp
                ? List.of(a, b, azp, g.initializer("wzp", Tensors.raw(ElementType.UINT8, new long[0], () -> new byte[] {(byte) 128})))
                : List.of(a, b, azp);
        Value y = g.addNode("MatMulInteger", "", in, Map.of()).getFirst();
        g.output(y, "y", ElementType.INT32, Dim.of("m"), Dim.of(n));
        return session(env, g);
    }

    static OrtSession floatMatMul(OrtEnvironment env, byte[] w, int k, int n) throws Exception {
        GraphBuilder g = new GraphBuilder("gemm");
        Value a = g.input("a", ElementType.FLOAT, Dim.of("m"), Dim.of(k));
        float[] wf = new float[w.length];
        for (int i = 0; i < w.length; i++) {
            wf[i] = w[i];
        }
        Value b = g.initializer("w", Tensors.floats(ElementType.FLOAT, new long[] {k, n}, () -> wf));
        Value y = g.addNode("MatMul", "", List.of(a, b), Map.of()).getFirst();
        g.output(y, "y", ElementType.FLOAT, Dim.of("m"), Dim.of(n));
        return session(env, g);
    }

    static OrtSession session(OrtEnvironment env, GraphBuilder g) throws Exception {
        Path f = Files.createTempFile("int8-gemm-", ".onnx");
        new OnnxModelWriter(Long.MAX_VALUE, Map.of()).write(g, f, null);
        OrtSession.SessionOptions so = new OrtSession.SessionOptions();
        so.setIntraOpNumThreads(1);
        so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
        OrtSession s = env.createSession(f.toString(), so);
        Files.delete(f);
        return s;
    }
}
