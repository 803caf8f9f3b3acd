import React from 'react';
import { AppRootProps } from '@grafana/data';
import { SceneApp, useSceneApp } from '@grafana/scenes';
import { buildAdHocPage } from '../pages/AdHoc/ui/adHocPage';
import { buildExplorePage } from '../pages/ProfilesExplorer/ui/explorePage';
import { buildSettingsPage } from '../pages/Settings/ui/settingsPage';

function getSceneApp() {
  return new SceneApp({
    pages: [buildExplorePage(), buildAdHocPage(), buildSettingsPage()],
    urlSyncOptions: { updateUrlOnInit: true, createBrowserHistorySteps: true },
  });
}

function App(_props: AppRootProps) {
  const scene = useSceneApp(getSceneApp);
  return <scene.Component model={scene} />;
}

export default App;
