import { createApi } from "./api.ts";
import { loadStageConfig } from "./config.ts";
import { createCrons } from "./cron.ts";
import { lambdaDefaults } from "./lambda.ts";
import { createNetwork } from "./network.ts";
import { createQueues } from "./queue.ts";
import { createSecrets } from "./secrets.ts";
import { isProductionStage } from "./stage.ts";
import { createStorage } from "./storage.ts";
import { createWeb } from "./web.ts";
import { createWorker } from "./worker.ts";

/** Builds the whole app for the current stage; sst.config.ts calls this from `run()`. */
export function deploy(options: { root: string; stage: string; env?: NodeJS.ProcessEnv }) {
  const env = options.env ?? process.env;
  const production = isProductionStage(options.stage);
  const stageConfig = loadStageConfig(options.root, options.stage);
  const defaults = lambdaDefaults(options.stage, stageConfig);

  const network = createNetwork();
  const storage = createStorage({ production });
  const queues = createQueues();
  const secrets = createSecrets({ stage: options.stage, names: stageConfig.secretNames, production });
  const { api, originSecret } = createApi({ defaults, storage, queues, secrets });
  const { worker, dlqHandler } = createWorker({ defaults, network, storage, queues, secrets });
  createCrons({ defaults, network, storage, queues, secrets });
  const web = createWeb({
    api,
    originSecret,
    publicUrl: stageConfig.config.public_url,
    certificateArn: env.ZTIX_CERTIFICATE_ARN,
  });

  return {
    url: web.router.url,
    api: api.url,
    table: storage.table.name,
    queue: queues.queue.url,
    dlq: queues.dlq.url,
    bucket: storage.bucket.name,
    alertsTopic: queues.alerts.arn,
    worker: worker.name,
    dlqHandler: dlqHandler.name,
    secretPrefix: secrets.prefix,
    natIps: network.vpc.nodes.elasticIps.apply((ips) => $resolve(ips.map((ip) => ip.publicIp))),
  };
}
