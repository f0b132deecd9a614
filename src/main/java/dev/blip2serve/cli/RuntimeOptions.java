package dev.blip2serve.cli;

import dev.blip2serve.runtime.OrtOptions;
import java.util.Locale;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/** Where and how ONNX Runtime runs a command's graphs: CPU threads, or the CUDA execution provider. */
final class RuntimeOptions {

    @Spec(Spec.Target.MIXEE)
    picocli.CommandLine.Model.CommandSpec spec;

    @Option(names = "--threads", defaultValue = "0", paramLabel = "N",
            description = "ONNX Runtime intra-op threads; 0 = one per core")
    int threads;

    @Option(names = "--cuda", description = "run on the CUDA execution provider (GPU build -Pgpu, CUDA 12 + cuDNN 9)")
    boolean cuda;

    @Option(names = "--cuda-device", defaultValue = "0", paramLabel = "N", description = "GPU ordinal (default 0)")
    int cudaDevice;

    @Option(names = "--cuda-memory-limit", defaultValue = "0", paramLabel = "SIZE",
            description = "cap of each session's CUDA arena, e.g. 6GB or 512MB (binary units); 0 = none")
    String cudaMemoryLimit;

    OrtOptions options() {
        if (threads < 0) {
            throw new ParameterException(spec.commandLine(), "--threads must not be negative, got " + threads);
        }
        if (cudaDevice < 0) {
            throw new ParameterException(spec.commandLine(), "--cuda-device must not be negative, got " + cudaDevice);
        }
        return new OrtOptions(threads, cuda, cudaDevice, bytes(cudaMemoryLimit));
    }

    private long bytes(String size) {
        String s = size.strip().toUpperCase(Locale.ROOT);
        long unit = 1;
        for (String[] u : new String[][] {{"KB", "10"}, {"MB", "20"}, {"GB", "30"}, {"B", "0"}}) {
            if (s.endsWith(u[0])) {
                unit = 1L << Integer.parseInt(u[1]);
                s = s.substring(0, s.length() - u[0].length()).strip();
                break;
            }
        }
        try {
            long n = Long.parseLong(s);
            if (n < 0) {
                throw new NumberFormatException();
            }
            return Math.multiplyExact(n, unit);
        } catch (NumberFormatException | ArithmeticException e) {
            throw new ParameterException(spec.commandLine(), "--cuda-memory-limit must be a size such as 6GB, 512MB or "
                    + "a number of bytes, got '" + size + "'");
        }
    }
}
