// Opt-in CUDA 12 execution provider (plain Node, `npm run setup:cuda`): runs onnxruntime-node's own installer,
// which downloads the CUDA EP libraries (NuGet Microsoft.ML.OnnxRuntime.Gpu.Linux, same version) into
// node_modules/onnxruntime-node/bin/napi-v6/linux/x64/. Linux x64 only; needs network access to api.nuget.org,
// and at run time a CUDA 12.x runtime with cuDNN 9 and a recent NVIDIA driver. Proxies: GLOBAL_AGENT_HTTPS_PROXY.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import path from 'node:path';

if (process.platform !== 'linux' || process.arch !== 'x64') {
  console.error(
    `setup:cuda: the CUDA execution provider of onnxruntime-node exists only for linux/x64 (this is ${process.platform}/${process.arch}).`,
  );
  process.exit(1);
}

const require = createRequire(import.meta.url);
const ortDir = path.dirname(require.resolve('onnxruntime-node/package.json'));
const installer = path.join(ortDir, 'script', 'install.js');

// The project's .npmrc says onnxruntime-node-install=skip and npm exports it to scripts; it would win over the flag.
const env = { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' };
delete env.npm_config_onnxruntime_node_install;

console.log(`setup:cuda: running ${path.relative(process.cwd(), installer)} --onnxruntime-node-install=cuda12`);
const run = spawnSync(process.execPath, [installer, '--onnxruntime-node-install=cuda12'], { cwd: ortDir, env, stdio: 'inherit' });
if (run.status !== 0) {
  console.error('setup:cuda: the onnxruntime-node installer failed (see above). The app keeps working on CPU/WebGPU.');
  process.exit(run.status ?? 1);
}
console.log('setup:cuda: done. `npm run slime -- info` should now list cuda as installed.');
