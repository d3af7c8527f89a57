// Postinstall guard (plain Node): confirms that npm scripts run on Node 24, the major Electron 45 embeds.
const major = Number(process.versions.node.split('.')[0]);
if (major !== 24) {
  console.error(
    `[slime-studio] npm scripts are running on Node ${process.versions.node}; expected Node 24. ` +
      'The devDependency "node@24" should put node_modules/.bin/node first on the PATH of every npm script.',
  );
  process.exitCode = 1;
} else {
  console.log(`[slime-studio] npm scripts run on Node ${process.versions.node}`);
}
