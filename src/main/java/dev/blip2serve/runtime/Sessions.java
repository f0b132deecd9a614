package dev.blip2serve.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.providers.OrtCUDAProviderOptions;
import java.nio.file.Path;
import java.util.Map;

/** Creates ONNX Runtime sessions with the project's settings. */
final class Sessions {

    private Sessions() {
    }

    static OrtEnvironment env() {
        return OrtEnvironment.getEnvironment();
    }

    static OrtSession open(Path model, OrtOptions options) throws OrtException {
        try (OrtSession.SessionOptions so = new OrtSession.SessionOptions()) {
            so.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
            if (options.intraOpThreads() > 0) {
                so.setIntraOpNumThreads(options.intraOpThreads());
            }
            if (!options.cuda()) {
                return env().createSession(model.toString(), so);
            }
            try (OrtCUDAProviderOptions cuda = cudaOptions(options)) {
                so.addCUDA(cuda);
                return env().createSession(model.toString(), so);
            }
        }
    }

    private static OrtCUDAProviderOptions cudaOptions(OrtOptions options) {
        try {
            OrtCUDAProviderOptions cuda = new OrtCUDAProviderOptions(options.cudaDevice());
            for (Map.Entry<String, String> e : options.cudaProviderOptions().entrySet()) {
                cuda.add(e.getKey(), e.getValue());
            }
            return cuda;
        } catch (OrtException e) {
            // The CPU artifact has no CUDA provider; the GPU one fails here when CUDA 12 / cuDNN 9 are missing.
            throw new InferenceException("the CUDA execution provider is not available (" + e.getMessage()
                    + "); it needs the GPU build (-Pgpu) and CUDA 12 + cuDNN 9 libraries", e);
        }
    }
}
