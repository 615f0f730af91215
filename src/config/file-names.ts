/** The config file names looked for in the working directory, in order (import-light: no yaml, no zod). */
export const CONFIG_FILE_NAMES = ['slipway.config.yaml', 'slipway.config.yml', 'slipway.config.json'];
