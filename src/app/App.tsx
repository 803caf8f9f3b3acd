import React from 'react';
import { AppRootProps } from '@grafana/data';

function App(_props: AppRootProps) {
  return <div>Profiles Drilldown</div>;
}

export default App;
