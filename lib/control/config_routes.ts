/**
 * `/v1/config`: reload the configuration file.
 *
 * @module
 */
import { Hono } from "hono";
import { ConfigError } from "../config/mod.ts";
import type { ControlVariables } from "./auth.ts";
import type { ControlDeps } from "./deps.ts";
import { apiError } from "./_errors.ts";

/**
 * Builds the config routes, mounted at `/v1/config`. `POST /reload` validates
 * the whole file first: an invalid one answers 400 with every problem and the
 * running configuration stays; a valid one is applied and its changes listed.
 *
 * @param deps The reload action of the instance.
 * @returns The routes.
 *
 * @example Usage
 * ```ts ignore
 * app.route("/v1/config", createConfigRoutes(deps));
 * ```
 */
export function createConfigRoutes(deps: Pick<ControlDeps, "reload">) {
  return new Hono<{ Variables: ControlVariables }>()
    .post("/reload", async (c) => {
      if (deps.reload === undefined) {
        throw apiError(409, "Empath runs on its built-in defaults: there is no file to reload");
      }
      try {
        return c.json({ applied: true, ...await deps.reload() });
      } catch (error) {
        if (!(error instanceof ConfigError)) throw error;
        return c.json({
          error: { code: "invalid_config", message: error.message, issues: error.issues },
        }, 400);
      }
    });
}
