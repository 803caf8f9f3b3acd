import React from 'react';
import { AppRootProps } from '@grafana/data';
import { SceneApp, useSceneApp } from '@grafana/scenes';
import { Navigate, useLocation } from 'react-router';
import { buildAdHocPage } from '../pages/AdHoc/ui/adHocPage';
import { buildExplorePage } from '../pages/ProfilesExplorer/ui/explorePage';
import { buildSettingsPage } from '../pages/Settings/ui/settingsPage';
import { unknownRouteRedirect } from './domain/unknownRouteRedirect';
import { registerRuntimeDataSources } from '../shared/infrastructure/runtime/PyroscopeRuntimeDataSources';

function getSceneApp() {
  // the panels of every page query through these
  registerRuntimeDataSources();
  return new SceneApp({
    pages: [buildExplorePage(), buildAdHocPage(), buildSettingsPage()],
    urlSyncOptions: { updateUrlOnInit: true, createBrowserHistorySteps: true },
  });
}

function App(_props: AppRootProps) {
  const scene = useSceneApp(getSceneApp);
  const { pathname, search } = useLocation();
  // Catch-all: a path under the app that no page answers goes to explore.
  const redirect = unknownRouteRedirect(pathname, search);
  if (redirect) {
    return <Navigate to={redirect} replace />;
  }
  return <scene.Component model={scene} />;
}

export default App;
