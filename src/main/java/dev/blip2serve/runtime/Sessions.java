package dev.blip2serve.runtime;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import java.nio.file.Path;

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
            if (options.cuda()) {
                so.addCUDA(options.cudaDevice());
            }
            return env().createSession(model.toString(), so);
        }
    }
}
