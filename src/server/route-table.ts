// Every route of the API, in one table: the server registers it, the OpenAPI document describes it, and a
// test walks it against every role.
import type { AnyRoute } from './route.ts';
import { systemRoutes } from './routes/system-routes.ts';
import { pipelineRoutes } from './routes/pipeline-routes.ts';
import { runRoutes } from './routes/run-routes.ts';
import { keyRoutes } from './routes/key-routes.ts';
import { auditRoutes } from './routes/audit-routes.ts';
import { accessRoutes } from './routes/access-routes.ts';
import { grantRoutes } from './routes/grant-routes.ts';
import { datasetRoutes } from './routes/dataset-routes.ts';
import { subjectRoutes } from './routes/subject-routes.ts';
import { workerRoutes } from './routes/worker-routes.ts';
import { openApiDocument } from './openapi.ts';

export function routeTable(): AnyRoute[] {
  let document: unknown;
  const routes: AnyRoute[] = [
    ...systemRoutes(() => (document ??= openApiDocument(routes))),
    ...pipelineRoutes(),
    ...runRoutes(),
    ...datasetRoutes(),
    ...keyRoutes(),
    ...auditRoutes(),
    ...accessRoutes(),
    ...grantRoutes(),
    ...subjectRoutes(),
    ...workerRoutes(),
  ];
  return routes;
}
