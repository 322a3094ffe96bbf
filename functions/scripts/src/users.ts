import { userInfo } from "node:os";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import {
  type AdminContext,
  createLocalUser,
  createPeeringDbUser,
  listUsers,
  setUserDisabled,
  showUser,
  type UserFields,
  type UserRef,
  updateUser,
} from "@ztix/auth";
import {
  adoptDevEnvironment,
  documentClient,
  dynamoClient,
  endpointsFromEnv,
  linkedResources,
  loadRuntimeConfig,
} from "@ztix/aws";
import { AppError } from "@ztix/core";
import { createService } from "@ztix/data";

const USAGE = `usage: npm run users -- <command> [options]

commands:
  create   --username NAME --password-stdin [--display-name N] [--admin] [--asn A]... [--zt-network-id ID]...
  create   --peeringdb-id ID [--admin] ...      (prepare a PeeringDB user before their first sign-in)
  update   (--username NAME | --user-id ID) [--password-stdin] [--display-name N] [--admin|--no-admin]
           [--asn A]... [--clear-asns] [--zt-network-id ID]... [--clear-networks]
  disable  (--username NAME | --user-id ID)
  enable   (--username NAME | --user-id ID)
  show     (--username NAME | --user-id ID)
  list

--asn and --zt-network-id repeat; on update they replace the ops-granted ASNs / network list.
A user without networks may request any active IX network. Against AWS:
  npx sst shell --stage X -- npm run users -- ...`;

const options = {
  username: { type: "string" },
  "user-id": { type: "string" },
  "peeringdb-id": { type: "string" },
  "password-stdin": { type: "boolean" },
  "display-name": { type: "string" },
  admin: { type: "boolean" },
  "no-admin": { type: "boolean" },
  asn: { type: "string", multiple: true },
  "clear-asns": { type: "boolean" },
  "zt-network-id": { type: "string", multiple: true },
  "clear-networks": { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export interface CliIo {
  /** Everything piped in (read only when --password-stdin is given). */
  readStdin: () => Promise<string>;
  out: (text: string) => void;
  err: (text: string) => void;
}

class UsageError extends Error {}

function refOf(values: { username?: string; "user-id"?: string }): UserRef {
  if (values.username && values["user-id"]) throw new UsageError("give --username or --user-id, not both");
  if (values.username) return { username: values.username };
  if (values["user-id"]) return { userId: values["user-id"] };
  throw new UsageError("--username or --user-id is required");
}

async function password(io: CliIo): Promise<string> {
  // One trailing newline comes from `echo` / a heredoc; it is not part of the password.
  return (await io.readStdin()).replace(/\r?\n$/, "");
}

/** Runs one users command; returns the process exit code. */
export async function runUsersCommand(argv: string[], ctx: AdminContext, io: CliIo): Promise<number> {
  try {
    const { values, positionals } = parseArgs({ args: argv, options, allowPositionals: true, strict: true });
    const [command, ...extra] = positionals;
    if (values.help || !command) {
      io.out(USAGE);
      return command || values.help ? 0 : 2;
    }
    if (extra.length) throw new UsageError(`unexpected argument: ${extra[0]}`);
    if (values.admin && values["no-admin"])
      throw new UsageError("--admin and --no-admin contradict each other");
    const fields: UserFields = {
      displayName: values["display-name"],
      isAdmin: values.admin ? true : values["no-admin"] ? false : undefined,
      asns: values["clear-asns"] ? [] : values.asn,
      networks: values["clear-networks"] ? [] : values["zt-network-id"],
    };
    let result: unknown;
    switch (command) {
      case "create":
        if (values["peeringdb-id"]) {
          if (values.username || values["password-stdin"]) {
            throw new UsageError("--peeringdb-id users sign in at PeeringDB: no --username or password");
          }
          result = await createPeeringDbUser(ctx, { ...fields, peeringdbId: Number(values["peeringdb-id"]) });
        } else {
          if (!values.username) throw new UsageError("create needs --username (or --peeringdb-id)");
          if (!values["password-stdin"])
            throw new UsageError("create needs --password-stdin (pipe the password in)");
          result = await createLocalUser(ctx, {
            ...fields,
            username: values.username,
            password: await password(io),
          });
        }
        break;
      case "update":
        result = await updateUser(ctx, refOf(values), {
          ...fields,
          password: values["password-stdin"] ? await password(io) : undefined,
        });
        break;
      case "disable":
      case "enable":
        result = await setUserDisabled(ctx, refOf(values), command === "disable");
        break;
      case "show":
        result = await showUser(ctx, refOf(values));
        break;
      case "list":
        result = (await listUsers(ctx)).map((u) => ({
          user_id: u.userId,
          username: u.username ?? null,
          display_name: u.displayName,
          source: u.source,
          is_admin: u.isAdmin,
          disabled: u.disabled,
        }));
        break;
      default:
        throw new UsageError(`unknown command: ${command}`);
    }
    io.out(JSON.stringify(result, null, 2));
    return 0;
  } catch (e) {
    if (e instanceof UsageError || (e as { code?: string }).code?.startsWith?.("ERR_PARSE_ARGS")) {
      io.err(`${(e as Error).message}\n\n${USAGE}`);
      return 2;
    }
    if (e instanceof AppError) {
      io.err(`error (${e.code}): ${e.message}`);
      return 1;
    }
    throw e;
  }
}

async function readAllStdin(): Promise<string> {
  if (process.stdin.isTTY)
    throw new UsageError('--password-stdin: pipe the password in (e.g. `printf %s "$PW" | ...`)');
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** Built on first use, so `--help` and usage errors need no table or config. */
function lazyContext(): AdminContext {
  let data: AdminContext["data"] | undefined;
  let config: AdminContext["config"] | undefined;
  return {
    get data() {
      data ??= createService({
        client: documentClient(dynamoClient(endpointsFromEnv())),
        table: linkedResources().tableName,
      });
      return data;
    },
    get config() {
      config ??= loadRuntimeConfig();
      return config;
    },
    actor: `ops:${process.env.ZTIX_ACTOR ?? userInfo().username}`,
  };
}

async function main() {
  adoptDevEnvironment();
  const ctx = lazyContext();
  const code = await runUsersCommand(process.argv.slice(2), ctx, {
    readStdin: readAllStdin,
    out: (t) => process.stdout.write(`${t}\n`),
    err: (t) => process.stderr.write(`${t}\n`),
  });
  process.exitCode = code;
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((e) => {
    process.stderr.write(`users: ${(e as Error).message}\n`);
    process.exitCode = 1;
  });
}
